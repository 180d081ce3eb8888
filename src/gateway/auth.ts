import { timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Management needs credentials, as in OpenFaaS: HTTP basic auth with user `admin` and the admin
 * secret as password; `Authorization: Bearer <secret>` works too. Compared in constant time.
 */
export function createAdminCheck (secret: string): (authorization: string | undefined) => boolean {
  const expected = digest(secret)
  return (authorization) => {
    if (authorization == null) return false
    let presented: string | undefined
    const [scheme, value] = authorization.split(' ', 2)
    if (scheme?.toLowerCase() === 'bearer') presented = value
    if (scheme?.toLowerCase() === 'basic' && value != null) {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon >= 0 && decoded.slice(0, colon) === 'admin') presented = decoded.slice(colon + 1)
    }
    return presented != null && timingSafeEqual(digest(presented), expected)
  }
}

export type AdminGuard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>

/**
 * Route options for a read: guarded like a change when the node keeps its reads private
 * (`--private-reads`: `guard` given), open otherwise.
 */
export const readOptions = (guard: AdminGuard | undefined): { preHandler?: AdminGuard } => guard != null ? { preHandler: guard } : {}

export function adminGuard (check: (authorization: string | undefined) => boolean): AdminGuard {
  return async (req, reply) => {
    if (check(req.headers.authorization)) return
    // A Basic challenge makes a browser stop and prompt; a page that sent a Bearer secret (the
    // dashboard) must get its 401 back instead, so it is challenged as Bearer.
    const bearer = req.headers.authorization?.toLowerCase().startsWith('bearer ') === true
    await reply.status(401)
      .header('www-authenticate', bearer ? 'Bearer realm="p2pfaas"' : 'Basic realm="p2pfaas", charset="UTF-8"')
      .send({ code: 'UNAUTHORIZED', message: 'management needs credentials: basic auth as admin with the node\'s admin secret (see the node\'s log for where it is), or Authorization: Bearer <secret>' })
  }
}

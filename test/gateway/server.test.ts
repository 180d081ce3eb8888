import { afterEach, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/server.js'
import { quietLog } from '../helpers/mesh.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function gateway (bodyLimit?: number): ReturnType<typeof createGateway> {
  const g = createGateway({ host: '127.0.0.1', port: 0, log: quietLog, bodyLimit })
  cleanups.push(async () => { await g.stop() })
  return g
}

describe('the gateway server', () => {
  it('answers JSON with a stable code for a body too large, a form that is not JSON, and no route', async () => {
    const g = gateway(64)
    g.app.post('/echo', async req => ({ got: req.body }))
    await g.start()
    const post = async (body: string, type: string): Promise<Response> => await fetch(`${g.url()}/echo`, { method: 'POST', body, headers: { 'content-type': type } })
    // Fastify's own replies (its error serializer) without its schema compilers.
    expect(await (await post('{"a":1}', 'application/x-www-form-urlencoded')).json()).toEqual({ got: { a: 1 } })
    const big = await post(JSON.stringify({ a: 'x'.repeat(100) }), 'application/json')
    expect([big.status, (await big.json()).code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    const form = await post('a=1', 'application/x-www-form-urlencoded')
    expect([form.status, (await form.json()).code]).toEqual([400, 'BAD_REQUEST'])
    const none = await fetch(`${g.url()}/nowhere?x=1`)
    expect([none.status, await none.json()]).toEqual([404, { code: 'NOT_FOUND', message: 'no route GET /nowhere' }])
  })

  it('refuses a route with a JSON schema at start: inputs are checked with zod', async () => {
    const g = gateway()
    g.app.post('/typed', { schema: { body: { type: 'object' } } }, async () => ({}))
    await expect(g.start()).rejects.toThrow(/take no JSON schemas/)
  })
})

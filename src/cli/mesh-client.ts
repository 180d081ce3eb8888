import { multiaddr } from '@multiformats/multiaddr'
import { manage, ManageClientError } from '../manage/client.js'
import { CliError, EXIT, exitForCode, openSession, type MeshOptions, type Session } from './session.js'
import type { ManageRequest, ManageResults } from '../manage/protocol.js'

/** What every command that talks to nodes shares: a session, management requests, the other nodes. */

export async function withSession<T> (opts: MeshOptions, body: (session: Session) => Promise<T>, identity: 'persistent' | 'ephemeral' = 'ephemeral'): Promise<T> {
  const session = await openSession(opts, { identity })
  try {
    return await body(session)
  } finally {
    await session.close()
  }
}

/** One management request to a node (the session's by default), refusals turned into CliErrors. */
export async function ask<Op extends ManageRequest['op']> (session: Session, request: Extract<ManageRequest, { op: Op }>, timeoutMs = 30_000, peer = session.peer): Promise<ManageResults[Op]> {
  try {
    return await manage(session.libp2p, peer, request, AbortSignal.timeout(timeoutMs))
  } catch (err) {
    if (err instanceof ManageClientError) throw new CliError(exitForCode(err.code), `${err.code}: ${err.message}`)
    throw err
  }
}

export interface MeshNode { peerId: string, addrs: string[] }

/**
 * Every node of the mesh as the session's node sees it, itself first; `connectedOnly`: its live links
 * only; `secret`: the admin secret, for a node that keeps its reads private.
 */
export async function meshNodes (session: Session, options: { connectedOnly?: boolean, secret?: string } = {}): Promise<MeshNode[]> {
  const { self, peers } = await ask(session, { op: 'peers', secret: options.secret })
  const others = peers.filter(p => options.connectedOnly !== true || p.connected)
  return [{ peerId: self.peerId, addrs: self.addrs }, ...others.map(p => ({ peerId: p.peerId, addrs: p.addrs }))]
}

/** Connects the CLI to another node of the mesh by the addresses its peers know it by. */
export async function reach (session: Session, node: MeshNode): Promise<void> {
  if (node.peerId === session.peer) return
  const addrs = node.addrs.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${node.peerId}`))
  if (addrs.length === 0) throw new CliError(EXIT.unreachable, `no address is known for ${node.peerId}`)
  await session.libp2p.dial(addrs, { signal: AbortSignal.timeout(10_000) })
    .catch((err: Error) => { throw new CliError(EXIT.unreachable, `cannot reach ${node.peerId}: ${err.message}`) })
}

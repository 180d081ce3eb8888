import { TypedEventEmitter } from 'main-event'
import { createMesh, type Mesh } from '../../src/mesh/mesh.js'
import { createLogger } from '../../src/log.js'
import { newPeer } from './keys.js'
import type { LoadSource, LoadSourceEvents, NodeLoad } from '../../src/mesh/load.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export const quietLog = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false })

/** A load source the test drives by hand. */
export class ManualLoad extends TypedEventEmitter<LoadSourceEvents> implements LoadSource {
  current: NodeLoad = { functions: [], totals: { queued: 0, running: 0, capacity: 0 } }
  snapshot (): NodeLoad { return this.current }
  set (load: NodeLoad): void {
    this.current = load
    this.safeDispatchEvent('change')
  }
}

/** A mesh node in this process on loopback; mDNS is always off outside namespaces. */
export async function loopbackMesh (opts: { bootstrap?: Multiaddr[], heartbeatMs?: number, load?: LoadSource, swarmKey?: Uint8Array, links?: number, maxConnections?: number, maxMembers?: number } = {}): Promise<Mesh> {
  const { privateKey } = await newPeer()
  const mesh = await createMesh({
    privateKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: opts.bootstrap,
    swarmKey: opts.swarmKey,
    mdns: false,
    heartbeatMs: opts.heartbeatMs ?? 200,
    links: opts.links,
    maxConnections: opts.maxConnections,
    maxMembers: opts.maxMembers,
    loadSource: opts.load ?? new ManualLoad(),
    log: quietLog
  })
  await mesh.start()
  return mesh
}

export async function waitFor<T> (what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

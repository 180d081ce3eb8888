import { TypedEventEmitter } from 'main-event'
import { createMesh, type Mesh } from '../../src/mesh/mesh.js'
import { createLogger } from '../../src/log.js'
import { newPeer } from './keys.js'
import type { LoadSource, LoadSourceEvents, NodeLoad } from '../../src/mesh/load.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey } from '@libp2p/interface'

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
export interface LoopbackMeshOptions {
  bootstrap?: Multiaddr[]
  heartbeatMs?: number
  load?: LoadSource
  swarmKey?: Uint8Array
  links?: number
  maxConnections?: number
  maxMembers?: number
  idleConnectionMs?: number
  privateKey?: PrivateKey
}

export async function loopbackMesh (opts: LoopbackMeshOptions = {}): Promise<Mesh> {
  const privateKey = opts.privateKey ?? (await newPeer()).privateKey
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
    idleConnectionMs: opts.idleConnectionMs,
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

import { createGateway, type Gateway } from '../gateway/server.js'
import { registerHealthRoutes } from '../gateway/health.js'
import { registerMeshRoutes } from '../gateway/mesh.js'
import { loadOrCreateIdentity } from '../mesh/identity.js'
import { createIdleLoadSource } from '../mesh/load.js'
import { createMesh, type Mesh } from '../mesh/mesh.js'
import { readSwarmKey } from '../mesh/swarm-key.js'
import type { NodeConfig } from './config.js'
import type { Logger } from '../log.js'

export interface P2pfaasNode {
  readonly mesh: Mesh
  readonly gateway: Gateway
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * The composition root: config in, every service built, started in order and stopped in reverse.
 * Nothing else in the code base wires services together.
 */
export async function createNode (config: NodeConfig, log: Logger): Promise<P2pfaasNode> {
  const identity = await loadOrCreateIdentity(config.dataDir)
  log.info({ path: identity.path, created: identity.created }, identity.created ? 'created a new node identity' : 'loaded node identity')
  const swarmKey = config.swarmKeyFile != null ? await readSwarmKey(config.swarmKeyFile) : undefined
  if (swarmKey == null) {
    log.warn('no --swarm-key: the mesh is open, any libp2p node that finds this one may connect (peers are still authenticated by Noise)')
  } else {
    log.info({ file: config.swarmKeyFile }, 'private mesh: only nodes with the same swarm key can connect')
  }

  const mesh = await createMesh({
    privateKey: identity.privateKey,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    swarmKey,
    mdns: config.mdns,
    heartbeatMs: config.heartbeatMs,
    loadSource: createIdleLoadSource(),
    log
  })

  let ready = false
  const gateway = createGateway({ host: config.http.host, port: config.http.port, log })
  registerHealthRoutes(gateway.app, { isReady: () => ready })
  registerMeshRoutes(gateway.app, { view: mesh.view, self: () => ({ peerId: mesh.peerId.toString(), addrs: mesh.addrs() }) })

  return {
    mesh,
    gateway,
    async start () {
      await mesh.start()
      try {
        await gateway.start()
      } catch (err) {
        await mesh.stop()
        throw err
      }
      ready = true
      log.info({ peerId: mesh.peerId.toString(), http: gateway.url(), mdns: config.mdns !== false }, 'node started')
    },
    async stop () {
      ready = false
      await gateway.stop()
      await mesh.stop()
      log.info('node stopped')
    }
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveNodeConfig, type NodeFlags } from '../../src/node/config.js'
import { createNode, type P2pfaasNode } from '../../src/node/node.js'
import { quietLog } from './mesh.js'
import { readFileSync } from 'node:fs'

export interface TestNode {
  node: P2pfaasNode
  url: string
  dataDir: string
  /** Basic-auth header with the node's admin secret. */
  auth: string
  stop(): Promise<void>
}

/**
 * A real node in this process on loopback (mDNS off), with its own data dir unless given one.
 * Its stop() is abrupt (no --stop-grace) unless the flags give one: tests stop a peer to kill it.
 */
export async function startTestNode (flags: NodeFlags = {}, dataDir?: string): Promise<TestNode> {
  const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'p2pfaas-node-'))
  const config = resolveNodeConfig({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], http: '127.0.0.1:0', heartbeat: '200', stopGrace: '0', ...flags, dataDir: dir }, {})
  let node: P2pfaasNode
  try {
    node = await createNode(config, quietLog)
    await node.start()
  } catch (err) {
    // A node that fails to start (a test of bad flags) leaves no temp dir behind.
    if (dataDir == null) await rm(dir, { recursive: true, force: true })
    throw err
  }
  const secret = readFileSync(node.adminSecretPath, 'utf8').trim()
  let stopped = false
  return {
    node,
    url: node.gateway.url(),
    dataDir: dir,
    auth: 'Basic ' + Buffer.from(`admin:${secret}`).toString('base64'),
    async stop () {
      if (stopped) return
      stopped = true
      await node.stop()
      if (dataDir == null) await rm(dir, { recursive: true, force: true })
    }
  }
}

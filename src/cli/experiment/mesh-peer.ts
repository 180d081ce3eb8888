import { libp2pTarget } from '../bench/libp2p-target.js'
import { ask, meshNodes, reach } from '../mesh-client.js'
import { CliError, EXIT, openSession, type MeshOptions, type Session } from '../session.js'
import { functionBody, pollUntil, waitIdleAndViews, type ExperimentMesh, type ExperimentNode } from './mesh.js'
import type { ManageResults } from '../../manage/protocol.js'
import type { ExperimentSpec } from './spec.js'

/**
 * A mesh reached over libp2p from one node (--peer), as `p2pfaas bench --all` reaches it: calls
 * over the invoke protocol, the function deployed and the load read with the management protocol.
 * The management protocol cannot change a node's policy: the nodes run the one they were started
 * with (or were given over HTTP), so such a spec names exactly one policy (the command checks).
 */

const SETUP_MS = 30_000
const READY_MS = 60_000

export interface PeerMeshInit {
  flags: MeshOptions
  spec: ExperimentSpec
  /** Management needs the node's trust: this CLI's identity (--admin on the nodes) or the secret. */
  secret?: string
  deploy: boolean
}

type Peers = ManageResults['peers']

/** The node itself first, then the other members in PeerId order: the spec's node 0, 1, ... */
async function membersInOrder (session: Session): Promise<Array<{ peerId: string, addrs: string[] }>> {
  const [self, ...others] = await meshNodes(session)
  return [self!, ...others.sort((a, b) => a.peerId.localeCompare(b.peerId))]
}

export async function openPeerMesh (init: PeerMeshInit): Promise<ExperimentMesh> {
  const session = await openSession(init.flags, { identity: init.deploy ? 'persistent' : 'ephemeral', signal: AbortSignal.timeout(SETUP_MS) })
  try {
    const members = await membersInOrder(session)
    if (members.length !== init.spec.nodes.length) {
      throw new CliError(EXIT.usage, `the mesh of ${session.peer} has ${members.length} node(s); the spec has ${init.spec.nodes.length}: give the spec one node per member`)
    }
    await Promise.all(members.map(async m => { await reach(session, m) }))
    return peerMesh(session, members.map((m, index) => ({ index, peerId: m.peerId })), init)
  } catch (err) {
    await session.close()
    throw err
  }
}

function peerMesh (session: Session, nodes: ExperimentNode[], init: PeerMeshInit): ExperimentMesh {
  const { spec } = init
  const peersOf = async (peerId: string): Promise<Peers> => await ask(session, { op: 'peers', secret: init.secret }, 10_000, peerId)
  const everyone = new Set(nodes.map(n => n.peerId))
  return {
    mode: 'peer',
    nodes,
    targets: nodes.map(n => libp2pTarget(session.libp2p, n.peerId, { fn: spec.function, headers: {}, timeoutMs: spec.timeoutMs })),
    async deploy () {
      await Promise.all(nodes.map(async n => {
        await ask(session, { op: 'deploy', functions: [functionBody(spec, spec.nodes[n.index]!)], secret: init.secret }, 30_000, n.peerId)
      }))
    },
    async waitReady (fn, signal) {
      await pollUntil(`every node to see ${fn} on every other`, async () => {
        const views = await Promise.all(nodes.map(async n => await peersOf(n.peerId)))
        return views.every((v, i) => nodes.every(o => o.index === i || v.peers.some(p => p.peerId === o.peerId && p.functions.some(f => f.name === fn))))
      }, READY_MS, signal, 100)
    },
    async setPolicy () {
      // Nothing to do: the nodes keep theirs (the command allows one policy only in this mode).
    },
    async waitIdle (signal) {
      const views = async (): Promise<Peers[]> => await Promise.all(nodes.map(async n => await peersOf(n.peerId)))
      return await waitIdleAndViews(
        async () => (await views()).flatMap((v, i) => v.self.totals.running + v.self.totals.queued > 0 ? [`node ${i} runs ${v.self.totals.running}, queues ${v.self.totals.queued}`] : []),
        async () => (await views()).flatMap((v, i) => v.peers.filter(p => everyone.has(p.peerId) && p.totals.running + p.totals.queued > 0)
          .map(p => `node ${i} sees node ${nodes.find(n => n.peerId === p.peerId)?.index} running ${p.totals.running}, queued ${p.totals.queued}`)),
        signal)
    },
    async cpuSeconds () { return nodes.map(() => null) },
    async policiesInForce () { return await Promise.all(nodes.map(async n => (await peersOf(n.peerId)).self.policy)) },
    async close () { await session.close() },
    killNow () {}
  }
}

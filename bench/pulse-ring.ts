import { repoPath } from '../test/helpers/cli.js'
import { createLan, type HostProcess, type Lan } from '../test/helpers/lan.js'

/**
 * The floor of an idle overlay link, as a fleet: N bare libp2p nodes (bench/bare-pulse.mjs) on a
 * LAN of their own, node j opening a link to nodes j+1 .. j+k around the ring, so that every node
 * has 2k links. bench:idle runs one beside a P2PFaaS fleet; bench:idle-floor runs several that
 * differ in one thing each.
 */
export interface PulseRingInit {
  n: number
  /** Links each node opens; it accepts as many (0: no connection at all). */
  k: number
  /**
   * bare-pulse's --mode: echo (pinged and answered), both (each end sends, nobody answers), quiet
   * (links, no frames), ring (each node sends to the next only, unanswered).
   */
  mode: 'echo' | 'both' | 'quiet' | 'ring'
  everyMs: number
  /** Node.js options for every node, e.g. --single-threaded-gc. */
  nodeOptions?: string[]
  /** The LAN's /24, so that several rings can run at once. */
  subnet?: string
}

export interface PulseRing { lan: Lan, procs: HostProcess[] }

const BARE_PULSE = repoPath('bench', 'bare-pulse.mjs')
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const peerIdOf = (p: HostProcess): string | undefined => p.output.find(l => l.startsWith('peerId '))?.split(' ')[1]
const linked = (p: HostProcess): number => p.output.filter(l => l.startsWith('linked ')).length

/** Resolves once every node has all its 2k links; the LAN is gone again if it throws. */
export async function startPulseRing (init: PulseRingInit): Promise<PulseRing> {
  const { n, k } = init
  const lan = createLan(n, init.subnet)
  try {
    const args = [...init.nodeOptions ?? [], BARE_PULSE, '--every', String(init.everyMs), '--mode', init.mode]
    const nodes = lan.hosts.map(host => ({ host, proc: host.spawn(process.execPath, args) }))
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      const deadline = performance.now() + 60_000
      while (!ok()) {
        const dead = nodes.find(p => p.proc.proc.exitCode != null)
        if (dead != null) throw new Error(`a bare node exited:\n${dead.proc.output.slice(-10).join('\n')}`)
        if (performance.now() > deadline) throw new Error(`bare nodes: ${what} not within 60 s`)
        await sleep(100)
      }
    }
    await until('started', () => nodes.every(p => peerIdOf(p.proc) != null))
    nodes.forEach((p, j) => {
      for (let d = 1; d <= k; d++) {
        const to = nodes[(j + d) % n]!
        p.proc.proc.stdin?.write(`dial /ip4/${to.host.ip}/tcp/4001/p2p/${peerIdOf(to.proc)!}${d === 1 ? ' succ' : ''}\n`)
      }
    })
    await until('linked', () => nodes.every(p => linked(p.proc) >= 2 * k))
    return { lan, procs: nodes.map(p => p.proc) }
  } catch (err) {
    await lan.destroy()
    throw err
  }
}

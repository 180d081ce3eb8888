import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import { judgeLoadMessage, LOAD_TOPIC, ReplayGuard } from '../mesh/load-message.js'
import { meshNodes, reach, withSession } from './mesh-client.js'
import { addMeshOptions, EXIT, parseWhole, runCommand, type MeshOptions, type Session } from './session.js'
import { renderTop, type TopNode } from './top-view.js'
import type { NodeLoad } from '../mesh/load.js'
import type { Command } from 'commander'

interface TopOptions extends MeshOptions { interval: string, iterations?: string, forget: string }

/** How often `top` looks for nodes that joined since it started. */
const REDISCOVER_MS = 5000

/**
 * Listens to the load topic as a subscriber that never publishes. It connects to every node it
 * can: each node floods its own load to its direct peers, so nothing waits on gossip relays.
 */
function watchLoad (session: Session, forgetMs: number): { nodes: () => TopNode[], stop: () => void } {
  const pubsub = session.libp2p.services.pubsub
  const guard = new ReplayGuard()
  const heard = new Map<string, { load: NodeLoad, at: number }>()
  const validator = (_from: unknown, msg: Message): TopicValidatorResult => {
    const verdict = judgeLoadMessage(msg, guard)
    if (verdict.result === 'accept') heard.set(verdict.from.toString(), { load: verdict.load, at: performance.now() })
    return verdict.result === 'accept' ? TopicValidatorResult.Accept : verdict.result === 'ignore' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }
  pubsub.topicValidators.set(LOAD_TOPIC, validator)
  pubsub.subscribe(LOAD_TOPIC)
  return {
    nodes: () => {
      const now = performance.now()
      for (const [id, h] of heard) if (now - h.at > forgetMs) heard.delete(id)
      return [...heard].map(([peerId, h]) => ({ peerId, load: h.load, ageMs: now - h.at }))
    },
    stop: () => {
      pubsub.unsubscribe(LOAD_TOPIC)
      pubsub.topicValidators.delete(LOAD_TOPIC)
    }
  }
}

async function reachEveryone (session: Session): Promise<void> {
  const nodes = await meshNodes(session).catch(() => [])
  const connected = new Set(session.libp2p.getConnections().map(c => c.remotePeer.toString()))
  await Promise.all(nodes.filter(n => !connected.has(n.peerId)).map(async n => { await reach(session, n).catch(() => {}) }))
}

async function top (opts: TopOptions): Promise<number> {
  const intervalMs = parseWhole(opts.interval, '--interval', 100, 60_000)
  const iterations = opts.iterations != null ? parseWhole(opts.iterations, '--iterations', 1, 1_000_000) : Infinity
  const forgetMs = parseWhole(opts.forget, '--forget', 500, 600_000)
  const tty = process.stdout.isTTY === true
  return await withSession(opts, async session => {
    const watch = watchLoad(session, forgetMs)
    await reachEveryone(session)
    const done = Promise.withResolvers<void>()
    const onKey = (key: Buffer): void => { if (key[0] === 0x71 || key[0] === 0x03) done.resolve() }
    if (tty) process.stdout.write('\x1b[?1049h\x1b[?25l')
    if (process.stdin.isTTY === true) {
      process.stdin.setRawMode(true)
      process.stdin.on('data', onKey)
    }
    process.once('SIGINT', () => { done.resolve() })
    process.once('SIGTERM', () => { done.resolve() })
    let frames = 0
    const draw = (): void => {
      const screen = renderTop({ via: session.peer, nodes: watch.nodes(), at: new Date(), width: tty ? process.stdout.columns : 1000 })
      process.stdout.write(tty ? `\x1b[H\x1b[2J${screen}` : `${screen}\n`)
      if (++frames >= iterations) done.resolve()
    }
    const timer = setInterval(draw, intervalMs)
    const rediscover = setInterval(() => { void reachEveryone(session) }, REDISCOVER_MS)
    draw()
    try {
      await done.promise
    } finally {
      clearInterval(timer)
      clearInterval(rediscover)
      watch.stop()
      if (process.stdin.isTTY === true) {
        process.stdin.off('data', onKey)
        process.stdin.setRawMode(false)
        process.stdin.pause()
      }
      if (tty) process.stdout.write('\x1b[?25h\x1b[?1049l')
    }
    return EXIT.ok
  })
}

export function registerTopCommand (program: Command): void {
  addMeshOptions(program.command('top'))
    .description('the mesh\'s load live in the terminal, from the load gossip itself')
    .option('--interval <ms>', 'redraw this often', '1000')
    .option('-n, --iterations <n>', 'stop after this many screens (for scripts; without a terminal each screen is printed in turn)')
    .option('--forget <ms>', 'drop a node not heard from for this long', '5000')
    .addHelpText('after', `
The CLI subscribes to the load topic (it never publishes) and connects to every node it is told
of, so what you see is what the schedulers see. Press q or Ctrl-C to quit.

Example:
  p2pfaas top --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...`)
    .action(async (opts: TopOptions) => { await runCommand('top', async () => await top(opts)) })
}

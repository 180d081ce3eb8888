import { ask, meshNodes, reach, withSession, type MeshNode } from './mesh-client.js'
import { addMeshOptions, EXIT, parseWhole, runCommand, type MeshOptions, type Session } from './session.js'
import { renderTop, type TopNode } from './top-view.js'
import type { NodeLoad } from '../mesh/load.js'
import type { Command } from 'commander'

interface TopOptions extends MeshOptions { interval: string, iterations?: string, forget: string }

/** How often `top` asks for the list of nodes (members join and leave). */
const REDISCOVER_MS = 5000

/**
 * Asks every node of the mesh for its own load once a redraw (one small request each), so what you
 * see is each node's own count, not anyone's copy of it. Nodes that stop answering fade out after
 * `forgetMs`.
 */
function watchLoad (session: Session, forgetMs: number): { poll: () => Promise<void>, rediscover: () => Promise<void>, nodes: () => TopNode[] } {
  const heard = new Map<string, { load: NodeLoad, at: number }>()
  let nodes: MeshNode[] = []
  return {
    rediscover: async () => {
      nodes = await meshNodes(session).catch(() => nodes)
    },
    poll: async () => {
      await Promise.all(nodes.map(async n => {
        try {
          if (n.peerId !== session.peer && session.libp2p.getConnections().every(c => c.remotePeer.toString() !== n.peerId)) await reach(session, n)
          const r = await ask(session, { op: 'load' }, 2000, n.peerId)
          heard.set(n.peerId, { load: { functions: r.functions, totals: r.totals }, at: performance.now() })
        } catch {}
      }))
    },
    nodes: () => {
      const now = performance.now()
      for (const [id, h] of heard) if (now - h.at > forgetMs) heard.delete(id)
      return [...heard].map(([peerId, h]) => ({ peerId, load: h.load, ageMs: now - h.at }))
    }
  }
}

async function top (opts: TopOptions): Promise<number> {
  const intervalMs = parseWhole(opts.interval, '--interval', 100, 60_000)
  const iterations = opts.iterations != null ? parseWhole(opts.iterations, '--iterations', 1, 1_000_000) : Infinity
  const forgetMs = parseWhole(opts.forget, '--forget', 500, 600_000)
  const tty = process.stdout.isTTY === true
  return await withSession(opts, async session => {
    const watch = watchLoad(session, forgetMs)
    await watch.rediscover()
    await watch.poll()
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
    let polling = false
    const timer = setInterval(() => {
      draw()
      if (polling) return
      polling = true
      void watch.poll().finally(() => { polling = false })
    }, intervalMs)
    const rediscover = setInterval(() => { void watch.rediscover() }, REDISCOVER_MS)
    draw()
    try {
      await done.promise
    } finally {
      clearInterval(timer)
      clearInterval(rediscover)
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
    .description('the mesh\'s load live in the terminal, asked of every node')
    .option('--interval <ms>', 'redraw this often', '1000')
    .option('-n, --iterations <n>', 'stop after this many screens (for scripts; without a terminal each screen is printed in turn)')
    .option('--forget <ms>', 'drop a node not heard from for this long', '5000')
    .addHelpText('after', `
The CLI connects to every node it is told of and asks each for its own load once a redraw, so
what you see is each node's own count. Press q or Ctrl-C to quit.

Example:
  p2pfaas top --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...`)
    .action(async (opts: TopOptions) => { await runCommand('top', async () => await top(opts)) })
}

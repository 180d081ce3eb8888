import type { Command } from 'commander'
import { startLocalMesh } from './local-mesh.js'
import type { MeshResponse } from '../gateway/mesh.js'

const short = (peerId: string): string => `${peerId.slice(0, 8)}…${peerId.slice(-6)}`

export function renderMeshView (name: string, view: MeshResponse, names: Map<string, string>): string {
  const lines = [`${name} (${short(view.self.peerId)}) sees ${view.peers.length} peer(s):`]
  for (const p of view.peers) {
    const t = p.load.totals
    lines.push(`  ${(names.get(p.peerId) ?? short(p.peerId)).padEnd(8)} ${p.connected ? 'connected   ' : 'gossip only '}` +
      `last load ${String(p.lastSeenMs).padStart(4)} ms ago  running ${t.running}/${t.capacity} queued ${t.queued}  ` +
      `functions [${p.functions.join(', ')}]  ${p.addrs[0] ?? ''}`)
  }
  return lines.join('\n')
}

export function registerDemoCommand (program: Command): void {
  program.command('demo')
    .description('start a small mesh on this machine (loopback, mDNS off) and show what each node sees')
    .option('--nodes <n>', 'how many nodes', '3')
    .option('--keep', 'keep the mesh running until Ctrl-C')
    .action(async (opts: { nodes: string, keep?: boolean }) => {
      const count = Number(opts.nodes)
      if (!Number.isInteger(count) || count < 2 || count > 16) {
        process.stderr.write('p2pfaas demo: --nodes takes a whole number from 2 to 16\n')
        process.exit(2)
      }
      process.stdout.write(`Starting ${count} P2PFaaS nodes on 127.0.0.1 (mDNS off, each bootstrapped with the others)...\n`)
      const started = performance.now()
      const mesh = await startLocalMesh(count)
      let stopping = false
      const stop = async (code: number): Promise<never> => {
        if (!stopping) {
          stopping = true
          await mesh.stop()
        }
        process.exit(code)
      }
      process.on('SIGINT', () => { void stop(130) })
      process.on('SIGTERM', () => { void stop(143) })
      try {
        const views = await mesh.waitForFullMesh(20_000)
        process.stdout.write(`Full mesh after ${Math.round(performance.now() - started)} ms.\n\n`)
        const names = new Map(mesh.nodes.map(n => [n.peerId, n.name]))
        views.forEach((v, i) => {
          const node = mesh.nodes[i]!
          process.stdout.write(`${renderMeshView(node.name, v, names)}\n  HTTP ${node.httpUrl}/mesh\n\n`)
        })
        if (opts.keep === true) {
          process.stdout.write('The mesh keeps running; press Ctrl-C to stop it.\n')
          return
        }
        process.stdout.write('Demo done: stopping the nodes (run with --keep to leave them up).\n')
        await stop(0)
      } catch (err: any) {
        process.stderr.write(`demo failed: ${err.message}\n`)
        await stop(1)
      }
    })
}

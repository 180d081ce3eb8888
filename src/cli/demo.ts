import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { CLI_ENTRY, fetchMesh, startLocalMesh, type LocalMesh } from './local-mesh.js'
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

/** Every node sees the function on every other, so the load can be spread from the start. */
async function waitForFunction (mesh: LocalMesh, fn: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const views = await Promise.all(mesh.nodes.map(async n => await fetchMesh(n.httpUrl)))
    if (views.every(v => v.peers.filter(p => p.connected && p.functions.includes(fn)).length === mesh.nodes.length - 1)) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`the nodes never saw ${fn} on each other`)
}

const DEMO_FUNCTION = {
  service: 'demo',
  labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:300ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0' }
}

/**
 * Deploys a one-slot emulated function (no container needed) on every node, then calls the first
 * node several times at once: one call runs there, the others are handed to its peers.
 */
async function showHandOffs (mesh: LocalMesh, names: Map<string, string>): Promise<void> {
  await deployEverywhere(mesh, [DEMO_FUNCTION])
  const first = mesh.nodes[0]!
  const everyone = new Set(mesh.nodes.map(n => n.peerId))
  for (let i = 0; ; i++) {
    const view = await fetchMesh(first.httpUrl)
    if (view.peers.filter(p => p.connected && p.functions.includes('demo') && everyone.has(p.peerId)).length === mesh.nodes.length - 1) break
    if (i > 100) throw new Error('the first node never saw the demo function on its peers')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const calls = mesh.nodes.length
  process.stdout.write(`Deployed "demo" (one slot, 300 ms per call, emulated) on every node; calling ${first.name} ${calls} times at once:\n`)
  const answers = await Promise.all(Array.from({ length: calls }, async () => await fetch(`${first.httpUrl}/function/demo`, { method: 'POST' })))
  for (const res of answers) {
    const path = JSON.parse(res.headers.get('x-p2pfaas-peers-list-id') ?? '[]') as string[]
    const route = path.map(id => names.get(id) ?? id.slice(0, 8)).join(' → ')
    process.stdout.write(`  ${res.status}  ran on ${names.get(path.at(-1) ?? '') ?? '?'}  (path ${route}, ${res.headers.get('x-p2pfaas-hops') ?? '?'} hop(s), ${res.headers.get('x-p2pfaas-scheduler') ?? ''})\n`)
  }
  process.stdout.write('\n')
}

/** Deploys over the node's HTTP API with its admin secret, as an operator's script would. */
async function deployEverywhere (mesh: LocalMesh, bodies: unknown[]): Promise<void> {
  await Promise.all(mesh.nodes.map(async n => {
    const secret = (await readFile(join(n.dataDir, 'admin-secret'), 'utf8')).trim()
    for (const body of bodies) {
      const res = await fetch(`${n.httpUrl}/system/functions`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`admin:${secret}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify(body)
      })
      if (res.status !== 202) throw new Error(`deploy on ${n.name}: ${res.status} ${await res.text()}`)
    }
  }))
}

/** A short open-loop load on every node with `p2pfaas bench`, its summary straight to the terminal. */
async function runLoad (mesh: LocalMesh): Promise<void> {
  const args = [CLI_ENTRY, 'bench', 'sleep', '--peer', mesh.nodes[0]!.libp2pAddr, '--all', '--rate', '15', '--duration', '5s', '--seed', '1']
  process.stdout.write(`Load: p2pfaas bench sleep --all --rate 15 --duration 5s (Poisson arrivals, 15/s at each node; sleep holds\n` +
    '  a slot ~100 ms, 2 slots and no queue per node, so a busy node hands calls on or refuses them):\n')
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, P2PFAAS_NO_MDNS: '1' } })
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`the load run exited with code ${code}`)
  process.stdout.write('\n')
}

export function registerDemoCommand (program: Command): void {
  program.command('demo')
    .description('start a small mesh on this machine (loopback, mDNS off), deploy the sample functions, run a short load')
    .option('--nodes <n>', 'how many nodes', '3')
    .option('--keep', 'keep the mesh running until Ctrl-C')
    .addHelpText('after', `
The nodes run on 127.0.0.1 with mDNS off; the sample functions run in containers when a Docker
engine has their images (npm run images), otherwise as processes on this host, and it says which.

Examples:
  npm run demo
  p2pfaas demo --nodes 5 --keep          # then open a dashboard address it prints`)
    .action(async (opts: { nodes: string, keep?: boolean }) => {
      const count = Number(opts.nodes)
      if (!Number.isInteger(count) || count < 2 || count > 16) {
        process.stderr.write('p2pfaas demo: --nodes takes a whole number from 2 to 16\n')
        process.exit(2)
      }
      process.stdout.write(`Starting ${count} P2PFaaS nodes on 127.0.0.1 (mDNS off, each bootstrapped with the others)...\n`)
      const started = performance.now()
      // Signals are caught before any node starts, and a node still running when this process
      // exits is told to stop: a demo interrupted while starting must not leave nodes behind.
      let mesh: LocalMesh | undefined
      let stopping = false
      const stop = async (code: number): Promise<never> => {
        if (!stopping) {
          stopping = true
          await mesh?.stop()
        }
        process.exit(code)
      }
      process.on('SIGINT', () => { void stop(130) })
      process.on('SIGTERM', () => { void stop(143) })
      process.on('exit', () => { for (const n of mesh?.nodes ?? []) if (n.process.exitCode == null && n.process.signalCode == null) n.process.kill('SIGTERM') })
      mesh = await startLocalMesh(count)
      try {
        const views = await mesh.waitForFullMesh(20_000)
        process.stdout.write(`Full mesh after ${Math.round(performance.now() - started)} ms.\n\n`)
        const names = new Map(mesh.nodes.map(n => [n.peerId, n.name]))
        views.forEach((v, i) => {
          const node = mesh.nodes[i]!
          process.stdout.write(`${renderMeshView(node.name, v, names)}\n  HTTP ${node.httpUrl}/mesh\n\n`)
        })
        const { demoFunctions } = await import('./demo-functions.js')
        const functions = await demoFunctions()
        process.stdout.write(`Sample functions echo and sleep on every node: ${functions.how}.\n\n`)
        await deployEverywhere(mesh, functions.bodies)
        await showHandOffs(mesh, names)
        await waitForFunction(mesh, 'sleep')
        await runLoad(mesh)
        process.stdout.write(`Dashboard (any node shows the whole mesh): ${mesh.nodes.map(n => `${n.httpUrl}/`).join('  ')}\n`)
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

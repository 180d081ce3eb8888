import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { MeshResponse } from '../../src/gateway/mesh.js'

/**
 * A LAN of test hosts made of network namespaces on a bridge (the recipe in the shared
 * environment notes). mDNS is only ever run inside these. Names carry a per-run id so runs never
 * collide, and everything is removed on destroy() and, as a last resort, when the process exits.
 */

/**
 * Runs inside the LAN and fetches URLs for the test process, which lives in the root namespace
 * and cannot reach the LAN. One JSON request per stdin line, one JSON answer per line. Inline, so
 * it works the same from the sources (vitest) and from dist (benchmarks).
 */
const PROBE_SOURCE = `
import { createInterface } from 'node:readline'
const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  let req
  try { req = JSON.parse(line) } catch { return }
  fetch(req.url, { headers: req.headers, signal: AbortSignal.timeout(req.timeoutMs ?? 2000) })
    .then(async res => ({ id: req.id, status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }))
    .catch(err => ({ id: req.id, status: 0, error: String(err?.cause?.code ?? err?.message ?? err) }))
    .then(answer => { process.stdout.write(JSON.stringify(answer) + '\\n') })
})
rl.on('close', () => process.exit(0))
`

export interface HostProcess {
  proc: ChildProcess
  /** Everything it wrote to stderr and stdout, for failure messages. */
  output: string[]
  exited: Promise<number | null>
  kill(signal?: NodeJS.Signals): Promise<void>
}

export interface LanAnswer {
  status: number
  body: string
  /** Lower-case names. */
  headers?: Record<string, string>
  error?: string
}

export interface Host {
  name: string
  ip: string
  spawn(command: string, args: string[], env?: NodeJS.ProcessEnv): HostProcess
}

export interface Lan {
  id: string
  hosts: Host[]
  addHost(): Host
  /** GET a URL on the LAN (from a probe host inside it), with optional request headers. */
  get(url: string, timeoutMs?: number, headers?: Record<string, string>): Promise<LanAnswer>
  mesh(host: Host): Promise<MeshResponse | undefined>
  /** Brings a host's link down (a partition) or back up. */
  setLink(host: Host, up: boolean): void
  /**
   * Runs `cleanup` (synchronous: it may run from an exit or signal handler) once the LAN's
   * processes are gone, on destroy() and on an emergency exit alike: for what a user of the LAN
   * made beside it, such as the nodes' data directories.
   */
  defer(cleanup: () => void): void
  /**
   * Splits the LAN: `side` moves to a second bridge, so each side still talks inside itself but
   * not across (a probe host on each side keeps get() working). heal() puts everyone back.
   */
  partition(side: Host[]): void
  /**
   * Makes the second bridge and the probe for `side` ahead of partition(side), and fetches URLs on
   * `side` through that probe from now on: a request in flight at the cut then stays on its side
   * instead of losing its path to the probe host (which is the harness's fault, not the nodes').
   */
  preparePartition(side: Host[]): void
  heal(): void
  destroy(): Promise<void>
}

const live = new Set<() => void>()
const cleanupAll = (): void => { for (const cleanup of live) cleanup(); live.clear() }
process.once('exit', cleanupAll)
// A signal's default action skips 'exit': clean up, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => { cleanupAll(); process.kill(process.pid, signal) })
}

const run = (...args: string[]): void => { execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] }) }
const tryRun = (...args: string[]): void => { try { run(...args) } catch {} }

/**
 * The kernel keeps one ARP table for all network namespaces, with one set of limits (set in the
 * root namespace; 1024 entries by default). On a real LAN each computer has its own table; here a
 * LAN of N hosts where each talks to many others needs about N^2 entries, and past the limit
 * connects fail with EHOSTUNREACH or stall for seconds. Raise the limits to fit (never lower them).
 */
function fitNeighbourTable (hosts: number): void {
  const want = [hosts * hosts, 2 * hosts * hosts, 4 * hosts * hosts]
  want.forEach((value, i) => {
    const file = `/proc/sys/net/ipv4/neigh/default/gc_thresh${i + 1}`
    try {
      if (Number(readFileSync(file, 'utf8')) < value) writeFileSync(file, String(value))
    } catch {}
  })
}

export function createLan (hostCount: number, subnet = '10.77.0'): Lan {
  if (process.getuid?.() !== 0) throw new Error('LAN tests create network namespaces and must run as root')
  // Hosts, plus the probes and the bridge.
  fitNeighbourTable(hostCount + 3)
  const id = randomBytes(2).toString('hex')
  const bridge = `pf${id}br`
  const namespaces: string[] = []
  const processes = new Set<HostProcess>()
  const deferred: Array<() => void> = []
  let next = 1

  const killAll = (): void => {
    for (const p of processes) { try { p.proc.kill('SIGKILL') } catch {} }
  }
  const removeNamespaces = (): void => {
    for (const ns of [...namespaces].reverse()) tryRun('netns', 'del', ns)
    namespaces.length = 0
  }
  const runDeferred = (): void => {
    for (const cleanup of deferred.splice(0).reverse()) { try { cleanup() } catch {} }
  }
  const emergency = (): void => { killAll(); removeNamespaces(); runDeferred() }
  live.add(emergency)

  run('netns', 'add', bridge)
  namespaces.push(bridge)
  run('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge')
  run('-n', bridge, 'link', 'set', 'br0', 'up')

  const addHost = (): Host => {
    const i = next++
    const ns = `pf${id}h${i}`
    const ip = `${subnet}.${i}`
    run('netns', 'add', ns)
    namespaces.push(ns)
    run('link', 'add', `pf${id}v${i}`, 'netns', ns, 'type', 'veth', 'peer', 'name', `pf${id}p${i}`, 'netns', bridge)
    run('-n', bridge, 'link', 'set', `pf${id}p${i}`, 'master', 'br0')
    run('-n', bridge, 'link', 'set', `pf${id}p${i}`, 'up')
    run('-n', ns, 'addr', 'add', `${ip}/24`, 'dev', `pf${id}v${i}`)
    run('-n', ns, 'link', 'set', `pf${id}v${i}`, 'up')
    run('-n', ns, 'link', 'set', 'lo', 'up')
    run('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', `pf${id}v${i}`)
    return {
      name: ns,
      ip,
      spawn (command, args, env) {
        const proc = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
        const output: string[] = []
        const collect = (stream: NodeJS.ReadableStream | null): void => {
          if (stream == null) return
          createInterface({ input: stream }).on('line', line => { output.push(line); if (output.length > 2000) output.shift() })
        }
        collect(proc.stdout)
        collect(proc.stderr)
        const exited = new Promise<number | null>(resolve => proc.once('exit', code => { resolve(code) }))
        const hp: HostProcess = {
          proc,
          output,
          exited,
          async kill (signal = 'SIGTERM') {
            if (proc.exitCode == null && proc.signalCode == null) proc.kill(signal)
            const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
            await exited
            clearTimeout(timer)
            processes.delete(hp)
          }
        }
        processes.add(hp)
        return hp
      }
    }
  }

  const hosts = Array.from({ length: hostCount }, addHost)
  let split: Host[] = []

  /** A probe host lives on the LAN like any other and fetches for the test process. */
  const startProbe = (): { host: Host, get: Lan['get'] } => {
    const host = addHost()
    const probe = host.spawn(process.execPath, ['--input-type=module', '-e', PROBE_SOURCE])
    const waiting = new Map<number, (answer: LanAnswer) => void>()
    let requestId = 0
    createInterface({ input: probe.proc.stdout! }).on('line', line => {
      try {
        const answer = JSON.parse(line)
        waiting.get(answer.id)?.(answer)
        waiting.delete(answer.id)
      } catch {}
    })
    void probe.exited.then(code => {
      for (const answer of waiting.values()) answer({ status: 0, body: '', error: `probe exited (${code}): ${probe.output.slice(-5).join(' ')}` })
      waiting.clear()
    })
    const get: Lan['get'] = async (url, timeoutMs = 2000, headers) => {
      const id = ++requestId
      if (probe.proc.exitCode != null) return { status: 0, body: '', error: `probe exited: ${probe.output.slice(-5).join(' ')}` }
      return await new Promise(resolve => {
        waiting.set(id, resolve)
        probe.proc.stdin!.write(JSON.stringify({ id, url, timeoutMs, headers }) + '\n')
      })
    }
    probes.push(probe)
    return { host, get }
  }
  const probes: HostProcess[] = []
  const mainProbe = startProbe()
  /** The probe for the other side of a partition, made at the first partition. */
  let sideProbe: { host: Host, get: Lan['get'] } | undefined
  const portOf = (h: Host): string => `pf${id}p${h.ip.split('.').pop()}`

  /** The hosts the side probe fetches for: the split-off side, or the side about to be. */
  let planned: Host[] = []
  // During a partition a URL on the split-off side is fetched by the probe on that side.
  const get: Lan['get'] = async (url, timeoutMs, headers) => {
    const host = /^https?:\/\/([^:/]+)/.exec(url)?.[1]
    const probe = sideProbe != null && [...split, ...planned].some(h => h.ip === host) ? sideProbe : mainProbe
    return await probe.get(url, timeoutMs, headers)
  }

  const preparePartition = (side: Host[]): { host: Host } => {
    if (sideProbe == null) {
      run('-n', bridge, 'link', 'add', 'br1', 'type', 'bridge')
      run('-n', bridge, 'link', 'set', 'br1', 'up')
      sideProbe = startProbe()
    }
    planned = [...side]
    return sideProbe
  }

  return {
    id,
    hosts,
    addHost,
    get,
    async mesh (host) {
      const res = await get(`http://${host.ip}:18080/mesh`, 1000)
      return res.status === 200 ? JSON.parse(res.body) as MeshResponse : undefined
    },
    setLink (host, up) {
      const i = host.ip.split('.').pop()
      run('-n', host.name, 'link', 'set', `pf${id}v${i}`, up ? 'up' : 'down')
    },
    defer (cleanup) { deferred.push(cleanup) },
    preparePartition,
    partition (side) {
      const probe = preparePartition(side)
      planned = []
      split = [...side]
      for (const h of [...split, probe.host]) run('-n', bridge, 'link', 'set', portOf(h), 'master', 'br1')
    },
    heal () {
      // The side's probe goes back too: a request it has in flight at the heal still gets its answer.
      const moved = split.length > 0 && sideProbe != null ? [...split, sideProbe.host] : split
      for (const h of moved) run('-n', bridge, 'link', 'set', portOf(h), 'master', 'br0')
      split = []
    },
    async destroy () {
      for (const p of probes) p.proc.stdin?.end()
      await Promise.all([...processes].map(async p => { await p.kill('SIGTERM') }))
      removeNamespaces()
      runDeferred()
      live.delete(emergency)
    }
  }
}

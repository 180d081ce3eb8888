import { execFileSync } from 'node:child_process'
import { percentile } from '../../src/cli/bench/summary.js'
import type { Host, Lan } from './lan.js'

/**
 * Faults for a LAN of network namespaces, and the open-loop load the chaos cases put on it.
 *
 * This kernel has no netem (environment notes), so:
 * - loss is iptables `statistic --mode random` DROP on a host's INPUT and OUTPUT;
 * - delay is a userspace relay in each host's namespace: iptables (nat OUTPUT DNAT) sends every
 *   TCP connection the host dials to or from a delayed host, on the P2P and HTTP ports, through
 *   it, and the relay holds each chunk for the delay, in order, in both directions. The relay runs
 *   under its own group id so its own connections are exempt from the rule. Everything lives in
 *   the namespaces and goes with them.
 */

export const P2P_PORT = 4001
export const HTTP_PORT = 18080
/** The relay's group id, exempt from the OUTPUT redirect (any unused id works). */
const RELAY_GID = 4242
const OUT_PORT_BASE = 30_000

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function iptables (host: Host, ...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', host.name, 'iptables', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Drops each packet in or out of the host with probability `p` (both ways: ~2p per round trip). */
export function addLoss (host: Host, p: number): void {
  for (const chain of ['INPUT', 'OUTPUT']) iptables(host, '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(p), '-j', 'DROP')
}

export function removeLoss (host: Host, p: number): void {
  for (const chain of ['INPUT', 'OUTPUT']) iptables(host, '-D', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(p), '-j', 'DROP')
}

/**
 * The relay: `routes` maps a listening port to a target address. Each chunk is released at
 * max(previous release, arrival + delay), delay drawn uniformly in [ms - jitter, ms + jitter], so
 * the byte stream keeps its order while the per-chunk delay varies. Inline for the same reason as
 * lan.ts's probe: it runs from the sources and from dist alike.
 */
const RELAY_SOURCE = `
import net from 'node:net'
process.setgid(Number(process.env.RELAY_GID))
const ms = Number(process.env.RELAY_MS), jitter = Number(process.env.RELAY_JITTER)
const routes = JSON.parse(process.env.RELAY_ROUTES)
const draw = () => ms - jitter + Math.random() * 2 * jitter
// One queue and one timer per direction: timers of different lengths may fire out of order, and a
// reordered chunk breaks the byte stream (Noise then drops the connection).
function pipe (from, to) {
  const queue = []
  let last = 0, timer = null, ended = false
  const flush = () => {
    timer = null
    while (queue.length > 0 && queue[0].at <= performance.now()) { const c = queue.shift(); if (!to.destroyed) to.write(c.chunk) }
    if (queue.length > 0) timer = setTimeout(flush, queue[0].at - performance.now())
    else if (ended) to.end()
  }
  from.on('data', chunk => {
    last = Math.max(last, performance.now() + draw())
    queue.push({ at: last, chunk })
    if (timer == null) timer = setTimeout(flush, last - performance.now())
  })
  from.on('end', () => { ended = true; if (timer == null && queue.length === 0) to.end() })
  from.on('error', () => to.destroy())
  from.on('close', () => { if (!ended) to.destroy() })
}
let listening = 0
for (const [port, target] of Object.entries(routes)) {
  net.createServer(client => {
    const [host, p] = target.split(':')
    const server = net.connect({ host, port: Number(p) })
    pipe(client, server)
    pipe(server, client)
  }).listen(Number(port), '0.0.0.0', () => { if (++listening === Object.keys(routes).length) console.log('relay ready') })
}
`

export interface DelayInit { ms: number, jitterMs: number, ports?: number[] }

/**
 * Puts a delay on every TCP connection between a host of `delayed` and any other host of `hosts`
 * on the given ports (P2P and HTTP by default), whichever side dials: the dialing host's relay
 * carries it (an OUTPUT DNAT to its relay, which connects on to the real address). Relaying on the
 * dialing side keeps both ends seeing the true addresses (a REDIRECT on the receiving side would
 * show the node a connection from its own address). Resolves once every relay listens and the
 * rules are in place; the relays die with the LAN.
 */
export async function addDelay (hosts: Host[], delayed: Host[], init: DelayInit): Promise<void> {
  const ports = init.ports ?? [P2P_PORT, HTTP_PORT]
  for (const host of hosts) {
    const targets = hosts.filter(t => t !== host && (delayed.includes(host) || delayed.includes(t)))
    if (targets.length === 0) continue
    const routes: Record<string, string> = {}
    const rules: string[][] = []
    targets.forEach((target, k) => {
      ports.forEach((port, m) => {
        const local = OUT_PORT_BASE + k * ports.length + m
        routes[String(local)] = `${target.ip}:${port}`
        rules.push(['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', target.ip, '--dport', String(port), '-m', 'owner', '!', '--gid-owner', String(RELAY_GID),
          '-j', 'DNAT', '--to-destination', `${host.ip}:${local}`])
      })
    })
    const relay = host.spawn(process.execPath, ['--input-type=module', '-e', RELAY_SOURCE], {
      RELAY_GID: String(RELAY_GID), RELAY_MS: String(init.ms), RELAY_JITTER: String(init.jitterMs), RELAY_ROUTES: JSON.stringify(routes)
    })
    const deadline = performance.now() + 10_000
    while (!relay.output.includes('relay ready')) {
      if (relay.proc.exitCode != null || performance.now() > deadline) throw new Error(`the delay relay on ${host.name} did not start: ${relay.output.join(' ')}`)
      await sleep(20)
    }
    for (const rule of rules) iptables(host, ...rule)
  }
}

/** One call of an open-loop run, as the caller saw it. */
export interface CallRecord {
  /** When it was sent, in ms after the run started. */
  at: number
  ms: number
  /** 0: no HTTP answer before the client gave up. */
  status: number
  /** The error code of a non-200 answer (OVERLOADED, PEER_LOST, TIMEOUT...). */
  code?: string
  idempotent: boolean
  /** The peers list of a 200 (origin first, executor last). */
  path?: string[]
  origin: string
  /** Why there was no HTTP answer (the probe's fetch error). */
  error?: string
}

export interface LoadInit {
  lan: Lan
  /** Base URLs the calls enter by, taken in turn. */
  origins: string[]
  fn: string
  ratePerSec: number
  durationMs: number
  /** Service time asked of the emulated function (?ms=). */
  serviceMs: number
  /** The client gives up this long after sending: the function's deadline plus a margin. */
  clientTimeoutMs: number
  /** Every k-th call carries X-P2pfaas-Idempotent (0: none). */
  idempotentEvery?: number
  /** Called at each ms mark (after the run started) once: faults injected mid-run. */
  events?: Array<{ atMs: number, run: () => void | Promise<void> }>
}

/**
 * Open-loop arrivals: call i is sent at i / rate, whether or not earlier ones answered, so a slow
 * or broken mesh cannot slow the offered load down. Resolves when every call has an answer or its
 * client timeout passed. Bounded in count (rate × duration) and time.
 */
export async function openLoad (init: LoadInit): Promise<CallRecord[]> {
  const total = Math.round(init.ratePerSec * init.durationMs / 1000)
  const gap = 1000 / init.ratePerSec
  const t0 = performance.now()
  const calls: Array<Promise<CallRecord>> = []
  const events = [...init.events ?? []].sort((a, b) => a.atMs - b.atMs)
  const fired: Array<Promise<void>> = []
  for (let i = 0; i < total; i++) {
    const due = t0 + i * gap
    while (events.length > 0 && events[0]!.atMs <= due - t0) fired.push(Promise.resolve(events.shift()!.run()))
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const origin = init.origins[i % init.origins.length]!
    const idempotent = init.idempotentEvery != null && init.idempotentEvery > 0 && i % init.idempotentEvery === 0
    calls.push(oneCall(init, origin, idempotent, t0))
  }
  for (const e of events) fired.push(Promise.resolve(e.run()))
  const records = await Promise.all(calls)
  await Promise.all(fired)
  return records
}

async function oneCall (init: LoadInit, origin: string, idempotent: boolean, t0: number): Promise<CallRecord> {
  const sent = performance.now()
  const headers: Record<string, string> = idempotent ? { 'x-p2pfaas-idempotent': 'true' } : {}
  const res = await init.lan.get(`${origin}/function/${init.fn}?ms=${init.serviceMs}`, init.clientTimeoutMs, headers)
  const record: CallRecord = { at: sent - t0, ms: performance.now() - sent, status: res.status, idempotent, origin }
  if (res.status === 200) {
    try { record.path = JSON.parse(res.headers?.['x-p2pfaas-peers-list-id'] ?? '[]') as string[] } catch {}
  } else if (res.status === 0) {
    record.error = res.error
  } else {
    try { record.code = (JSON.parse(res.body) as { code?: string }).code } catch { record.code = res.body.slice(0, 80) }
  }
  return record
}

export interface Tally {
  calls: number
  ok: number
  overloaded: number
  peerLost: number
  /** 504 TIMEOUT: answered, at the deadline. */
  timeout: number
  /** Answers other than ok, 429, PEER_LOST and TIMEOUT, by status and code. */
  other: Record<string, number>
  /** No HTTP answer at all before the client gave up. */
  unanswered: number
  /** Answered after the function's deadline plus `slackMs`. */
  late: number
  handedOff: number
  p50: number | null
  p99: number | null
}

/** The project's nearest-rank percentile (as `p2pfaas bench` reports it); null with no call. */
const percentileOrNull = (sorted: number[], p: number): number | null => sorted.length === 0 ? null : percentile(sorted, p)

/** Counts each kind of answer; `deadlineMs + slackMs` is the latest a call may be answered. */
export function tally (records: CallRecord[], deadlineMs: number, slackMs = 1000): Tally {
  const t: Tally = { calls: records.length, ok: 0, overloaded: 0, peerLost: 0, timeout: 0, other: {}, unanswered: 0, late: 0, handedOff: 0, p50: null, p99: null }
  for (const r of records) {
    if (r.status === 200) t.ok++
    else if (r.status === 429) t.overloaded++
    else if (r.status === 502 && r.code === 'PEER_LOST') t.peerLost++
    else if (r.status === 504 && r.code === 'TIMEOUT') t.timeout++
    else if (r.status === 0) t.unanswered++
    else t.other[`${r.status} ${r.code ?? ''}`] = (t.other[`${r.status} ${r.code ?? ''}`] ?? 0) + 1
    if (r.status !== 0 && r.ms > deadlineMs + slackMs) t.late++
    if (r.path != null && r.path.length > 1) t.handedOff++
  }
  const okMs = records.filter(r => r.status === 200).map(r => r.ms).sort((a, b) => a - b)
  t.p50 = percentileOrNull(okMs, 50)
  t.p99 = percentileOrNull(okMs, 99)
  return t
}

/** An emulated function every node of a chaos fleet runs: `slots` at once, `queue` waiting. */
export function emulatedFunction (name: string, slots: number, queue: number, timeout: string): string[] {
  return [
    `  ${name}:`,
    '    labels:',
    '      p2pfaas.runtime: emulated',
    '      p2pfaas.service-time: fixed:100ms',
    `      p2pfaas.concurrency: "${slots}"`,
    `      p2pfaas.queue: "${queue}"`,
    `      p2pfaas.timeout: ${timeout}`
  ]
}

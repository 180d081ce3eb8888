import { emptyHistogram, record, toSparse, type Histogram } from './histogram.js'
import type { AccountedCall, CallOutcomeKind } from '../invoke/accounting.js'

/** One call as the dashboard's trace list shows it: recorded by the node it entered at. */
export interface CallRecord {
  /** Increasing per node: a peer's cursor for "what is new". */
  seq: number
  callId: string
  function: string
  /** Wall clock (ms since epoch) when it ended. */
  at: number
  outcome: CallOutcomeKind
  status: number
  code?: string
  /** Peer ids, entry node first, the executor last. */
  path: string[]
  totalMs: number
  hops: Array<{ peer: string, decision: string, schedulingMs: number, probingMs: number, queueMs: number, execMs: number, totalMs: number }>
}

/** One function's counts in one second. */
export interface SecondCounts {
  arrivals: number
  local: number
  forwarded: number
  rejected: number
  errors: number
  latency: Histogram
}

export interface ObservedFunctionSecond {
  name: string
  arrivals: number
  local: number
  forwarded: number
  rejected: number
  errors: number
  /** Sparse latency histogram, [bucket, count] (src/observe/histogram.ts). */
  latency: Array<[number, number]>
}

export interface Second {
  /** Unix time in whole seconds. */
  t: number
  functions: Map<string, SecondCounts>
}

/** What the recorder listens to: the call accounting's calls (src/invoke/accounting.ts). */
export interface RoutedSource {
  addEventListener(type: 'call:routed', listener: (evt: CustomEvent<AccountedCall>) => void): void
  removeEventListener(type: 'call:routed', listener: (evt: CustomEvent<AccountedCall>) => void): void
}

export interface RecorderInit {
  /** Where calls are announced, classified; without it, feed onRouted by hand (tests). */
  source?: RoutedSource
  /** Seconds of counts kept. */
  keepSeconds?: number
  /** Call records kept. */
  keepCalls?: number
  now?: () => number
}

/**
 * What the calls that entered the mesh at this node did: counts per second and function (kept two
 * minutes), and the last few hundred calls with their path. A call forwarded here from a peer is
 * recorded by the node it entered at, so summing nodes never counts a call twice.
 */
export class CallRecorder {
  private readonly keepSeconds: number
  private readonly keepCalls: number
  private readonly now: () => number
  private readonly seconds: Second[] = []
  private readonly calls: CallRecord[] = []
  private seq = 0

  constructor (private readonly init: RecorderInit) {
    this.keepSeconds = init.keepSeconds ?? 120
    this.keepCalls = init.keepCalls ?? 200
    this.now = init.now ?? Date.now
  }

  async start (): Promise<void> {
    this.init.source?.addEventListener('call:routed', this.onRouted)
  }

  async stop (): Promise<void> {
    this.init.source?.removeEventListener('call:routed', this.onRouted)
  }

  /** Feed of the call accounting's call:routed events. */
  readonly onRouted = (evt: CustomEvent<AccountedCall>): void => {
    const e = evt.detail
    if (!e.entered) return
    const at = this.now()
    const outcome = e.outcome
    const totalMs = e.trace[0]?.totalMs ?? 0
    const counts = this.countsFor(Math.floor(at / 1000), e.call.function)
    counts.arrivals++
    counts[outcome === 'error' ? 'errors' : outcome]++
    if (outcome === 'local' || outcome === 'forwarded') record(counts.latency, totalMs)
    this.calls.push({
      seq: ++this.seq,
      callId: e.call.callId,
      function: e.call.function,
      at,
      outcome,
      status: e.status,
      ...(e.code != null ? { code: e.code } : {}),
      path: e.trace.map(t => t.peer),
      totalMs,
      hops: e.trace.map(t => ({ peer: t.peer, decision: t.decision, schedulingMs: t.schedulingMs, probingMs: t.probingMs, queueMs: t.queueMs, execMs: t.execMs, totalMs: t.totalMs }))
    })
    if (this.calls.length > this.keepCalls) this.calls.splice(0, this.calls.length - this.keepCalls)
  }

  /** Seconds from `sinceT` (inclusive), oldest first; the current second is still filling. */
  secondsSince (sinceT = 0): Second[] {
    this.trim()
    return this.seconds.filter(s => s.t >= sinceT)
  }

  /** The same seconds as the wire and the snapshot carry them: latency histograms made sparse. */
  observedSince (sinceT = 0): Array<{ t: number, functions: ObservedFunctionSecond[] }> {
    return this.secondsSince(sinceT).map(s => ({
      t: s.t,
      functions: [...s.functions].map(([name, f]) => ({ name, arrivals: f.arrivals, local: f.local, forwarded: f.forwarded, rejected: f.rejected, errors: f.errors, latency: toSparse(f.latency) }))
    }))
  }

  /** Calls recorded after `sinceSeq`, at most `max`, the newest kept when there are more. */
  callsSince (sinceSeq = 0, max = 100): CallRecord[] {
    const fresh = this.calls.filter(c => c.seq > sinceSeq)
    return fresh.slice(Math.max(0, fresh.length - max))
  }

  private countsFor (t: number, fn: string): SecondCounts {
    let second = this.seconds.at(-1)
    if (second == null || second.t !== t) {
      second = { t, functions: new Map() }
      this.seconds.push(second)
      this.trim()
    }
    let counts = second.functions.get(fn)
    if (counts == null) {
      counts = { arrivals: 0, local: 0, forwarded: 0, rejected: 0, errors: 0, latency: emptyHistogram() }
      second.functions.set(fn, counts)
    }
    return counts
  }

  private trim (): void {
    const oldest = Math.floor(this.now() / 1000) - this.keepSeconds
    while (this.seconds.length > 0 && this.seconds[0]!.t < oldest) this.seconds.shift()
  }
}

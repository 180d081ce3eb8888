import { getHeapStatistics } from 'node:v8'

/**
 * V8 keeps the heap a burst grew it to. A seed that 63 joiners synced with in a minute ends up
 * with a 41 MiB heap (bench:scale, 64 nodes) where its idle neighbours have 28 to 33 MiB: at one
 * look 39 MiB of it was garbage not collected yet, at another 26 MiB was live and the rest free
 * pages an ordinary collection had kept. Either way that node sat at 102 to 106 MiB of RSS while
 * the others sat at 86 to 97. V8's memory reducer, which gives pages back, had not done so by the
 * time the bench measured, 10 s after the fleet went quiet.
 *
 * So a node looks at its heap once per `everyMs` (one timer, whatever the fleet's size): when no
 * call has started for a whole interval, the process used under `quietCpu` of a core in it (a
 * fleet still forming keeps every node busier than that: a trim then would only delay it), and
 * the heap has grown `slackBytes` past where it stood after start (or after the last trim), it
 * asks V8 for the collection a heap profiler asks for (HeapProfiler.collectGarbage: it collects,
 * compacts and returns free pages). What that leaves is the new mark, so a heap that is all live
 * costs one collection per `slackBytes` it grows, no more. The session is in-process: no port opens.
 */
export interface HeapTrimInit {
  /** Whether a call started since the last look (the node is busy: its heap is for its calls). */
  busySince: (at: number) => boolean
  everyMs?: number
  slackBytes?: number
  /** Share of one core the process may have used over the interval and still count as idle. */
  quietCpu?: number
  now?: () => number
  /** CPU time the process has used (µs), user and system. */
  cpuMicros?: () => number
  /** What the trim achieved, for the log. */
  onTrim?: (before: HeapFigures, after: HeapFigures, ms: number) => void
}

export interface HeapFigures { used: number, total: number }

export interface HeapTrim {
  start: () => void
  stop: () => void
  /** Looks now (the timer calls it); resolves once any trim it starts has ended. */
  check: () => Promise<void>
  readonly trims: number
}

const DEFAULT_EVERY_MS = 10_000
/** An idle member uses 0.3 to 1.5 % of a core (bench:scale, 8 to 64 nodes); a forming one far more. */
const DEFAULT_QUIET_CPU = 0.03
/**
 * While an 8-node fleet forms, some nodes' heaps grow 8 MiB or more past their start, but under
 * 12; the 64-node seed's grows more than 12. At a 4 MiB mark the nodes of an 8-node fleet trimmed
 * inside bench:scale's idle window (idle CPU per node 0.7 % of a core on average, 2.1 % at most,
 * against 0.4 and 0.5), and at 8 MiB some still did (0.6 and 1.9). At 12 MiB: 0.4 and 0.5, and the
 * seed still trims (94 MiB of RSS).
 */
const DEFAULT_SLACK_BYTES = 12 * 1024 * 1024

export function heapFigures (): HeapFigures {
  const h = getHeapStatistics()
  return { used: h.used_heap_size, total: h.total_heap_size }
}

export function createHeapTrim (init: HeapTrimInit): HeapTrim {
  const everyMs = init.everyMs ?? DEFAULT_EVERY_MS
  const slack = init.slackBytes ?? DEFAULT_SLACK_BYTES
  const now = init.now ?? (() => performance.now())
  const quietCpu = init.quietCpu ?? DEFAULT_QUIET_CPU
  const cpuMicros = init.cpuMicros ?? (() => { const u = process.cpuUsage(); return u.user + u.system })
  let timer: ReturnType<typeof setInterval> | undefined
  let lastLook = now()
  let lastCpu = cpuMicros()
  let floor = heapFigures().total
  let trims = 0
  let running = false

  const collect = async (): Promise<void> => {
    const { Session } = await import('node:inspector/promises')
    const session = new Session()
    session.connect()
    try {
      await session.post('HeapProfiler.collectGarbage')
    } finally {
      session.disconnect()
    }
  }

  const check = async (): Promise<void> => {
    const since = lastLook
    const cpuBefore = lastCpu
    lastLook = now()
    lastCpu = cpuMicros()
    const cpuShare = (lastCpu - cpuBefore) / 1000 / Math.max(1, lastLook - since)
    if (running || init.busySince(since) || cpuShare > quietCpu) return
    const before = heapFigures()
    if (before.total < floor + slack) return
    running = true
    const t0 = now()
    try {
      await collect()
      trims++
      const after = heapFigures()
      floor = after.total
      init.onTrim?.(before, after, now() - t0)
    } catch {
      // No inspector in this build of Node: nothing to trim with, and nothing lost.
      floor = Infinity
    } finally {
      running = false
    }
  }

  return {
    start () {
      if (timer != null) return
      lastLook = now()
      lastCpu = cpuMicros()
      timer = setInterval(() => { void check() }, everyMs)
      timer.unref()
    },
    stop () {
      if (timer != null) clearInterval(timer)
      timer = undefined
    },
    check,
    get trims () { return trims }
  }
}

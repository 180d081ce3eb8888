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
 * call has started for a whole interval and the heap has grown `slackBytes` past where it stood
 * after start (or after the last trim), it asks V8 for the collection a heap profiler asks for
 * (HeapProfiler.collectGarbage: it collects, compacts and returns free pages; 20 to 25 ms for a
 * 40 MiB heap). What that leaves is the new mark, so a heap that is all live costs one collection
 * per `slackBytes` it grows, no more. The session is in-process: no port opens.
 */
export interface HeapTrimInit {
  /** Whether a call started since the last look (the node is busy: its heap is for its calls). */
  busySince: (at: number) => boolean
  everyMs?: number
  slackBytes?: number
  now?: () => number
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
const DEFAULT_SLACK_BYTES = 8 * 1024 * 1024

export function heapFigures (): HeapFigures {
  const h = getHeapStatistics()
  return { used: h.used_heap_size, total: h.total_heap_size }
}

export function createHeapTrim (init: HeapTrimInit): HeapTrim {
  const everyMs = init.everyMs ?? DEFAULT_EVERY_MS
  const slack = init.slackBytes ?? DEFAULT_SLACK_BYTES
  const now = init.now ?? (() => performance.now())
  let timer: ReturnType<typeof setInterval> | undefined
  let lastLook = now()
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
    lastLook = now()
    if (running || init.busySince(since)) return
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

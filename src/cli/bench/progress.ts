import type { LiveCounts } from './runner.js'

export interface ProgressInit {
  stream: NodeJS.WriteStream
  durationMs: number
  live: LiveCounts
  everyMs?: number
  /** Put before the bar: which run this is, when a command makes several. */
  label?: string
}

const WIDTH = 24

/** One status line: a bar for the schedule's time, then the counters so far. */
export function progressLine (elapsedMs: number, durationMs: number, live: LiveCounts): string {
  const done = Math.min(1, elapsedMs / durationMs)
  const filled = Math.round(done * WIDTH)
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(Math.min(elapsedMs, durationMs) / 1000).toFixed(1)}/${(durationMs / 1000).toFixed(1)} s ` +
    `sent ${live.sent} ok ${live.ok} rejected ${live.rejected} errors ${live.errors} dropped ${live.dropped} outstanding ${live.inFlight}`
}

/**
 * Redraws the status line on a terminal while the run goes; nothing at all when stderr is a pipe or
 * a file, where a carriage-return animation would only be noise. Returns the function that stops it.
 */
export function startProgress (init: ProgressInit): () => void {
  if (init.stream.isTTY !== true) return () => {}
  const started = performance.now()
  const draw = (): void => {
    const line = (init.label != null ? `${init.label} ` : '') + progressLine(performance.now() - started, init.durationMs, init.live)
    // Never wider than the terminal: a wrapped line would stack up instead of redrawing in place.
    const width = init.stream.columns > 0 ? init.stream.columns : 120
    init.stream.write(`\r${line.slice(0, Math.max(20, width - 1))}\x1b[K`)
  }
  const timer = setInterval(draw, init.everyMs ?? 200)
  timer.unref()
  return () => {
    clearInterval(timer)
    draw()
    init.stream.write('\n')
  }
}

/**
 * Rules every layer shares, at the bottom of the layer order so any folder may import them: one
 * definition each, so the HTTP API, the management protocol and the mesh never disagree.
 */

/** A function's name: what OpenFaaS (and DNS labels) allow. */
export const FUNCTION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * The largest request or response body of a call by default (`--max-body`), and the most a CLI
 * sends or a runtime reads back when nobody set a limit.
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024

/** Load of a function or a node in slots: calls running, calls waiting for a slot, and slots. */
export interface SlotLoad {
  queued: number
  running: number
  capacity: number
}

const TRUTHY = /^(1|true|yes|on)$/i

/**
 * An on/off switch given as text (an env variable, a request header): "1", "true", "yes" or "on",
 * in any case, spaces around ignored. Anything else, absence included, is off.
 */
export const isTruthy = (v: string | string[] | undefined): boolean =>
  typeof v === 'string' && TRUTHY.test(v.trim())

/** What a number without a unit means where a duration is read: the contexts have documented different ones. */
export type BareDurationUnit = 'ms' | 's'

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const BARE = /^\+?(\d+\.?\d*|\.\d+)$/

/**
 * A non-negative duration in Go's time.ParseDuration syntax ("100ms", "1.5s", "1m30s", "0"), which
 * OpenFaaS uses for its timeouts, or a bare number in `bare` units; in milliseconds, not rounded.
 * Undefined when the text is none of these. Range checks and rounding are the caller's.
 */
export function parseDuration (text: string, bare: BareDurationUnit): number | undefined {
  const s = text.trim()
  if (BARE.test(s)) return Number(s) * UNIT_MS[bare]!
  const body = s.startsWith('+') ? s.slice(1) : s
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/y
  let ms = 0
  let end = 0
  for (let m = part.exec(body); m !== null; m = part.exec(body)) {
    ms += Number(m[1]) * UNIT_MS[m[2]!]!
    end = part.lastIndex
  }
  return end === body.length && end > 0 && Number.isFinite(ms) ? ms : undefined
}

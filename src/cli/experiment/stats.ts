/**
 * Confidence intervals over repetitions: Student's t at 95 %, two-sided, with n - 1 degrees of
 * freedom. One repetition has no spread to speak of: its interval is null ("n/a"), never a fake one.
 */

/** t(0.975, df) for df = 1..30, to 3 decimals (any statistics table). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
  2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

const Z975 = 1.959963985

/**
 * The 97.5 % quantile of Student's t: the table up to 30, then the Cornish-Fisher expansion around
 * the normal quantile (within 1e-4 of the exact value from df = 30 on).
 */
export function tQuantile975 (df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new RangeError(`degrees of freedom must be a whole number from 1 (got ${df})`)
  if (df <= T975.length) return T975[df - 1]!
  const z = Z975
  const z3 = z ** 3
  const z5 = z ** 5
  const z7 = z ** 7
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
}

export interface Estimate {
  /** Repetitions that measured it (NaN values left out). */
  n: number
  mean: number
  /** Half-width of the 95 % interval; null with fewer than 2 repetitions. */
  half: number | null
  low: number | null
  high: number | null
}

export function mean (values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length
}

/** Sample standard deviation (n - 1). */
export function sampleSd (values: readonly number[]): number {
  if (values.length < 2) return NaN
  const m = mean(values)
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1))
}

/** Mean and 95 % t interval of one metric over repetitions. */
export function estimate (values: readonly number[]): Estimate {
  const xs = values.filter(v => Number.isFinite(v))
  const m = mean(xs)
  if (xs.length < 2) return { n: xs.length, mean: m, half: null, low: null, high: null }
  const half = tQuantile975(xs.length - 1) * sampleSd(xs) / Math.sqrt(xs.length)
  return { n: xs.length, mean: m, half, low: m - half, high: m + half }
}


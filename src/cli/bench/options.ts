import { randomInt } from 'node:crypto'
import { parseDuration } from '../../functions/quantities.js'
import { MAX_BODY_BYTES } from '../../rules.js'
import { CliError, EXIT, parseHeaders, parseWhole, readFileBounded, type MeshOptions } from '../session.js'
import { expectedCount } from './arrivals.js'
import { parseNodeUrl } from './http-target.js'

/** The bounds every run stays within; each is in `--help`. */
export const LIMITS = {
  maxDurationMs: 3_600_000,
  minDurationMs: 100,
  maxRate: 10_000,
  /** Every record is kept for the summary and the files: about 200 bytes each. */
  maxCalls: 2_000_000,
  maxCap: 100_000,
  payloadBytes: MAX_BODY_BYTES,
  payloadFiles: 64,
  maxTimeoutMs: 3_600_000
} as const

/** The flags as commander hands them over. */
export interface BenchFlags extends MeshOptions {
  rate: string
  duration: string
  payload: string[]
  data?: string
  header: string[]
  concurrencyCap: string
  seed?: string
  timeout: string
  all?: boolean
  http: string[]
  json?: string
  csv?: string
}

/** A checked run, everything but the targets' rates, which need the count of targets. */
export interface BenchPlan {
  rates: number[]
  durationMs: number
  payloadSources: Array<{ file: string } | { text: string }>
  headers: Record<string, string>
  cap: number
  seed: number
  timeoutMs: number
  all: boolean
  http: URL[]
  json?: string
  csv?: string
}

const usage = (message: string): never => { throw new CliError(EXIT.usage, message) }

/** `--rate 40` or `--rate 5,10,2`: calls per second, one per target in order. */
export function parseRates (value: string): number[] {
  const parts = value.split(',').map(s => s.trim())
  return parts.map(p => {
    const n = Number(p)
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(p) || !(n > 0) || n > LIMITS.maxRate) usage(`--rate takes calls per second above 0 and at most ${LIMITS.maxRate}, or a comma-separated list of them, one per target (got "${value}")`)
    return n
  })
}

/** The rate of each target: one rate for all, or exactly one per target. */
export function ratesFor (rates: readonly number[], targets: number): number[] {
  if (rates.length === 1) return Array<number>(targets).fill(rates[0]!)
  if (rates.length !== targets) usage(`--rate has ${rates.length} rates but there ${targets === 1 ? 'is 1 target' : `are ${targets} targets`}: give one rate, or one per target`)
  return [...rates]
}

export function parseBenchFlags (flags: BenchFlags): BenchPlan {
  const duration = parseDuration(flags.duration, { min: LIMITS.minDurationMs, max: LIMITS.maxDurationMs })
  if (!duration.ok) usage(`--duration ${duration.message}`)
  const durationMs = (duration as { value: number }).value
  const rates = parseRates(flags.rate)
  if (flags.data != null && flags.payload.length > 0) usage('give the body with -d or with --payload, not both')
  if (flags.payload.length > LIMITS.payloadFiles) usage(`--payload: at most ${LIMITS.payloadFiles} files`)
  const http = flags.http.map(parseNodeUrl)
  if (http.length > 0 && (flags.all === true || flags.peer != null)) usage('--http calls the nodes at those URLs: it does not go with --peer or --all')
  if (new Set(http.map(u => u.href)).size !== http.length) usage('--http: the same URL is given twice')
  if (flags.json === '-' && flags.csv === '-') usage('only one of --json and --csv can go to stdout (-)')
  if (flags.json != null && flags.json === flags.csv) usage('--json and --csv name the same file')
  for (const [flag, value] of [['--json', flags.json], ['--csv', flags.csv]] as const) if (value === '') usage(`${flag} takes a file, or - for stdout`)
  const plan: BenchPlan = {
    rates,
    durationMs,
    payloadSources: flags.data != null ? [flags.data.startsWith('@') ? { file: flags.data.slice(1) } : { text: flags.data }] : flags.payload.map(file => ({ file })),
    headers: parseHeaders(flags.header),
    cap: parseWhole(flags.concurrencyCap, '--concurrency-cap', 1, LIMITS.maxCap),
    seed: flags.seed != null ? parseWhole(flags.seed, '--seed', 0, 2 ** 32 - 1) : randomInt(2 ** 32 - 1),
    timeoutMs: parseWhole(flags.timeout, '--timeout', 1, LIMITS.maxTimeoutMs),
    all: flags.all === true,
    http,
    json: flags.json,
    csv: flags.csv
  }
  // Checked again once the targets are known (--all: one rate each).
  checkSize(rates, durationMs)
  return plan
}

/** Refuses a run whose records would not fit: rate x duration, with 6 sd of slack. */
export function checkSize (rates: readonly number[], durationMs: number): void {
  const { mean, sd } = expectedCount(rates, durationMs)
  if (mean + 6 * sd > LIMITS.maxCalls) usage(`rate x duration asks for about ${Math.round(mean)} calls; one run keeps at most ${LIMITS.maxCalls} (shorten --duration or lower --rate)`)
}

/** The bodies to send, read once before the run; each bounded like `p2pfaas invoke`'s. */
export async function loadPayloads (sources: BenchPlan['payloadSources']): Promise<Uint8Array[]> {
  if (sources.length === 0) return [new Uint8Array()]
  const out: Uint8Array[] = []
  for (const source of sources) {
    if ('text' in source) { out.push(Buffer.from(source.text)); continue }
    out.push(await readFileBounded(source.file, LIMITS.payloadBytes, '--payload'))
  }
  return out
}

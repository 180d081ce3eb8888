import { parseDuration as parseAnyDuration } from '../rules.js'

/**
 * The textual quantities users write in OpenFaaS bodies, stack.yml and labels, and their canonical
 * rendering back. Each parser returns the value or a message meant to follow a field path.
 */

export type Parsed<T> = { ok: true, value: T } | { ok: false, message: string }

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const fail = (message: string): Parsed<never> => ({ ok: false, message })
const got = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

export const MEMORY_RANGE = { min: 4 * MiB, max: 64 * GiB }
export const CPU_RANGE = { min: 0.01, max: 256 }
export const TIMEOUT_RANGE = { min: 100, max: 3_600_000 }

const MEMORY_UNITS: Record<string, number> = {
  Ki: KiB, Mi: MiB, Gi: GiB, Ti: 1024 * GiB, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
  // The IEC spellings ("512MiB") are as unambiguous as Kubernetes' and what people write in flags.
  KiB, MiB, GiB, TiB: 1024 * GiB
}
// Kubernetes quantity syntax, minus the milli suffix and the units too large to matter here.
const MEMORY = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE](\d{1,2})|(KiB|MiB|GiB|TiB|Ki|Mi|Gi|Ti|k|M|G|T))?$/
// Docker-style spellings people carry over ("128m", "1gb"); in Kubernetes units "128m" is 0.128 bytes.
const MEMORY_TYPO = /^(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)$/i

/** Kubernetes memory quantity ("128Mi", "1G", "1000000", also "128MiB") to whole bytes, rounded up as Kubernetes does. */
export function parseMemory (input: string | number): Parsed<number> {
  const s = String(input).trim()
  const m = MEMORY.exec(s)
  if (m == null) {
    const typo = MEMORY_TYPO.exec(s)
    const hint = typo == null ? '' : `; did you mean "${typo[1]}${typo[2]![0]!.toUpperCase()}i"?`
    return fail(`must be a memory size like "128Mi", "1Gi", "512M" or a number of bytes (got ${got(s)}${hint})`)
  }
  const scale = m[2] != null ? 10 ** Number(m[2]) : m[3] != null ? MEMORY_UNITS[m[3]]! : 1
  const bytes = Math.ceil(Number(m[1]) * scale)
  if (!(bytes >= MEMORY_RANGE.min && bytes <= MEMORY_RANGE.max)) {
    return fail(`must be from 4Mi to 64Gi (got ${got(s)})`)
  }
  return ok(bytes)
}

/** Bytes back to the shortest exact quantity: 268435456 → "256Mi". */
export function formatMemory (bytes: number): string {
  for (const [unit, size] of [['Gi', GiB], ['Mi', MiB], ['Ki', KiB]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`
  }
  return String(bytes)
}

const CPU = /^(\d+(?:\.\d*)?|\.\d+)(m?)$/

/** CPU count ("0.5", "500m", "2") to a fraction of CPUs, at millicore precision. */
export function parseCpu (input: string | number): Parsed<number> {
  const s = String(input).trim()
  const m = CPU.exec(s)
  const cpus = m == null ? NaN : Math.round(Number(m[1]) * (m[2] === 'm' ? 1 : 1000)) / 1000
  if (!(cpus >= CPU_RANGE.min && cpus <= CPU_RANGE.max)) {
    return fail(`must be a CPU count like "0.5", "500m" or "2", from 0.01 to 256 (got ${got(s)})`)
  }
  return ok(cpus)
}

export function formatCpu (cpus: number): string {
  return String(cpus)
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * "500ms", "30s", "2m", "1m30s" (Go-style, as in OpenFaaS exec_timeout) or bare seconds, to whole ms.
 * The grammar is the one every duration shares (src/rules.ts); only the unit of a bare number is
 * this context's: seconds, as OpenFaaS and the README document for these fields.
 */
export function parseDuration (input: string | number, range: { min: number, max: number } = TIMEOUT_RANGE): Parsed<number> {
  const s = String(input).trim()
  const parsed = parseAnyDuration(s, 's')
  const ms = parsed === undefined ? NaN : Math.round(parsed)
  if (!(ms >= range.min && ms <= range.max)) {
    return fail(`must be a duration like "500ms", "30s", "2m" or a number of seconds, from ${formatDuration(range.min)} to ${formatDuration(range.max)} (got ${got(s)})`)
  }
  return ok(ms)
}

/** Whole ms back to the largest exact unit: 30000 → "30s", 120000 → "2m". */
export function formatDuration (ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`
  }
  return `${ms}ms`
}

/** A label value holding a whole number; labels are strings, so "08" is fine and "8.0" is not. */
export function parseWholeNumber (input: string, min: number, max: number): Parsed<number> {
  const n = /^\d{1,10}$/.test(input.trim()) ? Number(input.trim()) : NaN
  if (!(n >= min && n <= max)) return fail(`must be a whole number from ${min} to ${max} (got ${got(input)})`)
  return ok(n)
}

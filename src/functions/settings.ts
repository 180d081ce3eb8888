import type { SpecIssue } from './errors.js'
import { editDistance } from '../suggest.js'
import { parseDuration, parseWholeNumber, TIMEOUT_RANGE, type Parsed } from './quantities.js'
import { FUNCTION_DEFAULTS, LABELS, type FunctionRuntimeKind, type FunctionSpec } from './types.js'

/** The P2PFaaS settings of a function, which travel as `p2pfaas.*` labels. */
export type FunctionSettings = Pick<FunctionSpec, 'concurrency' | 'queue' | 'timeoutMs' | 'minWarm' | 'runtime'>

export const SETTING_RANGES = {
  concurrency: { min: 1, max: 1024 },
  queue: { min: 0, max: 100_000 }
} as const

export const RUNTIMES: readonly FunctionRuntimeKind[] = ['http', 'process', 'emulated']

/** Task types are small numbers, as in the original (its LearningScheduler took numTaskTypes). */
export const MAX_TASK_TYPE = 63
/** A deadline is a time a call's answer is wanted within: from 1 ms to the longest timeout. */
export const DEADLINE_RANGE = { min: 1, max: TIMEOUT_RANGE.max } as const

/** `p2pfaas.task-type`, and the X-P2pfaas-Scheduler-Learning-Task-Type header: the same rule for both. */
export const parseTaskType = (v: string): Parsed<number> => parseWholeNumber(v, 0, MAX_TASK_TYPE)
export const parseDeadline = (v: string): Parsed<number> => parseDuration(v, DEADLINE_RANGE)

/** `p2pfaas.task-deadlines`: one deadline per task type, comma-separated, type 0 first. */
export function parseTaskDeadlines (v: string): Parsed<number[]> {
  const parts = v.split(',').map(p => p.trim())
  const out: number[] = []
  for (const p of parts) {
    const d = parseDeadline(p)
    if (!d.ok || parts.length > MAX_TASK_TYPE + 1) {
      return { ok: false, message: `must be deadlines of task types 0, 1, ... in order, comma-separated, at most ${MAX_TASK_TYPE + 1}, e.g. 150ms,2s (got ${JSON.stringify(v.slice(0, 60))})` }
    }
    out.push(d.value)
  }
  return { ok: true, value: out }
}

/** What a scheduling policy may learn from a function's labels: its calls' task type and deadline. */
export interface TaskLabels {
  taskType?: number
  deadlineMs?: number
  /** `p2pfaas.task-deadlines`: the deadline of task type i at i; a type past it takes `deadlineMs`. */
  deadlinesMs?: number[]
}

/**
 * The task type and deadline a function's labels give, as its scheduling requests carry them. The
 * labels of a deployed function were checked by readSettings, so a value that does not parse here
 * (only from code that skipped the check) is left out rather than guessed.
 */
export function readTaskLabels (labels: Readonly<Record<string, string>>): TaskLabels {
  const type = labels[LABELS.taskType]
  const deadline = labels[LABELS.deadline]
  const perType = labels[LABELS.taskDeadlines]
  const t = type === undefined ? undefined : parseTaskType(type)
  const d = deadline === undefined ? undefined : parseDeadline(deadline)
  const ds = perType === undefined ? undefined : parseTaskDeadlines(perType)
  return {
    ...(t?.ok === true ? { taskType: t.value } : {}),
    ...(d?.ok === true ? { deadlineMs: d.value } : {}),
    ...(ds?.ok === true ? { deadlinesMs: ds.value } : {})
  }
}

const PREFIX = 'p2pfaas.'
const KNOWN: readonly string[] = Object.values(LABELS)

export interface SettingsResult {
  settings: FunctionSettings
  /** Paths relative to the labels map. */
  issues: SpecIssue[]
}

/**
 * Reads the settings from the `p2pfaas.*` labels, defaults filled in. The labels themselves stay in
 * the spec as given: whether a label was set at all matters (the registry lets node-wide defaults
 * apply to functions that set none). Non-string values are skipped: the label map's own schema
 * reports them. An unknown `p2pfaas.*` label is an error, because a typo would otherwise silently
 * leave the default in force.
 */
export function readSettings (labels: Record<string, unknown>): SettingsResult {
  const issues: SpecIssue[] = []
  const ours: Record<string, string> = {}
  for (const [key, value] of Object.entries(labels)) {
    if (!key.toLowerCase().startsWith(PREFIX)) continue
    if (!KNOWN.includes(key)) {
      issues.push({ path: [key], message: unknownLabelMessage(key) })
    } else if (typeof value === 'string') {
      ours[key] = value
    }
  }
  const read = <T>(key: string, parse: (v: string) => Parsed<T>, fallback: T): T => {
    const raw = ours[key]
    if (raw === undefined) return fallback
    const r = parse(raw)
    if (r.ok) return r.value
    issues.push({ path: [key], message: r.message })
    return fallback
  }
  const { concurrency: c, queue: q } = SETTING_RANGES
  const concurrency = read(LABELS.concurrency, v => parseWholeNumber(v, c.min, c.max), FUNCTION_DEFAULTS.concurrency)
  const queue = read(LABELS.queue, v => parseWholeNumber(v, q.min, q.max), FUNCTION_DEFAULTS.queue)
  const timeoutMs = read(LABELS.timeout, parseDuration, FUNCTION_DEFAULTS.timeoutMs)
  const runtime = read(LABELS.runtime, parseRuntime, FUNCTION_DEFAULTS.runtime)
  const minWarm = read(LABELS.minWarm, v => parseMinWarm(v, concurrency), Math.min(FUNCTION_DEFAULTS.minWarm, concurrency))
  read(LABELS.serviceTime, parseServiceTime, undefined)
  read(LABELS.taskType, parseTaskType, undefined)
  read(LABELS.deadline, parseDeadline, undefined)
  read(LABELS.taskDeadlines, parseTaskDeadlines, undefined)
  read(LABELS.speed, parseSpeed, undefined)
  return { settings: { concurrency, queue, timeoutMs, minWarm, runtime }, issues }
}

function parseRuntime (v: string): Parsed<FunctionRuntimeKind> {
  const found = RUNTIMES.find(r => r === v.trim())
  return found != null ? { ok: true, value: found } : { ok: false, message: `must be "http", "process" or "emulated" (got ${JSON.stringify(v.slice(0, 40))})` }
}

/** `exp:100ms`, `fixed:50ms`, or a bare duration (exponential mean): the emulated runtime's service time. */
export function parseServiceTime (v: string): Parsed<{ kind: 'exp' | 'fixed', meanMs: number }> {
  const m = /^(?:(exp|fixed):)?(.+)$/.exec(v.trim())
  const d = m == null ? undefined : parseDuration(m[2]!, { min: 1, max: 3_600_000 })
  if (m == null || d == null || !d.ok) return { ok: false, message: `must be exp:<duration>, fixed:<duration> or a duration, e.g. exp:100ms (got ${JSON.stringify(v.slice(0, 40))})` }
  return { ok: true, value: { kind: (m[1] ?? 'exp') as 'exp' | 'fixed', meanMs: d.value } }
}

export const SPEED_RANGE = { min: 0.01, max: 100 } as const

/** `p2pfaas.speed`: a plain positive number, 1 = nominal, 2 = twice as fast. */
export function parseSpeed (v: string): Parsed<number> {
  const s = v.trim()
  const n = Number(s)
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s) || !(n >= SPEED_RANGE.min && n <= SPEED_RANGE.max)) {
    return { ok: false, message: `must be a number from ${SPEED_RANGE.min} to ${SPEED_RANGE.max}, 1 = nominal speed, 2 = service times halved (got ${JSON.stringify(v.slice(0, 40))})` }
  }
  return { ok: true, value: n }
}

function parseMinWarm (v: string, concurrency: number): Parsed<number> {
  const r = parseWholeNumber(v, 0, concurrency)
  if (r.ok || !parseWholeNumber(v, 0, SETTING_RANGES.concurrency.max).ok) return r
  return { ok: false, message: `${r.message}; it cannot exceed ${LABELS.concurrency} (${concurrency})` }
}

function unknownLabelMessage (key: string): string {
  const near = KNOWN.find(k => editDistance(k, key.toLowerCase()) <= 2)
  const hint = near != null ? `did you mean "${near}"? ` : ''
  return `unknown P2PFaaS label; ${hint}known labels: ${KNOWN.join(', ')}`
}

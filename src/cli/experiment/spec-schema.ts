import * as z from 'zod'
import { describeValue, friendlyError } from '../../functions/errors.js'
import { FUNCTION_NAME } from '../../rules.js'
import { parseDuration } from '../../functions/quantities.js'
import { parseServiceTime, SETTING_RANGES, SPEED_RANGE } from '../../functions/settings.js'
import { didYouMean } from '../../suggest.js'

/**
 * The experiment spec as written in YAML, field by field, in zod: every field's range, its default,
 * and for an unknown key the nearest known one ("did you mean ...?"), the way deploy bodies and
 * stack.yml are checked (src/functions/). What the fields mean: docs/experiments.md.
 */

/** The bounds of one experiment; each is in docs/experiments.md. */
export const SPEC_LIMITS = {
  groups: 32,
  /** Node processes on one machine: each costs about 85 MiB and some CPU even idle. */
  nodes: 64,
  tasks: 16,
  rho: { values: 50, max: 10 },
  policies: 32,
  modules: 16,
  repetitions: 1000,
  rate: 10_000,
  weight: 1000,
  duration: { min: 100, max: 3_600_000 },
  warmup: { min: 0, max: 3_600_000 },
  serviceMs: { min: 0.001, max: 600_000 },
  cap: 100_000
} as const

/**
 * An object that refuses unknown keys, one message line per key (issuesOf splits them), each with
 * the nearest known field when there is one: a typo must not silently leave a default in force.
 */
function strict<S extends z.ZodRawShape> (shape: S): z.ZodObject<S, z.core.$strict> {
  const fields = Object.keys(shape)
  return z.strictObject(shape, {
    error: iss => iss.code === 'unrecognized_keys'
      ? iss.keys.map(k => `unknown field; ${didYouMean(k, fields)}fields here: ${fields.join(', ')}`).join('\n')
      : undefined
  })
}

/** A duration as elsewhere in P2PFaaS ("500ms", "30s", "2m", or a number of seconds), to ms. */
const duration = (range: { min: number, max: number }) => z.union([z.string(), z.number()]).transform((v, ctx) => {
  const r = parseDuration(v, range)
  if (!r.ok) { ctx.addIssue({ code: 'custom', message: r.message }); return z.NEVER }
  return r.value
})

const whole = (min: number, max: number) => z.number().int().min(min).max(max)
const positive = (max: number) => z.number().gt(0, { error: iss => `must be above 0 (got ${describeValue(iss.input)})` }).max(max)

/** Durations that may be fractional ms: service times of a few microseconds still mean something. */
const fineDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?|\.\d+)(us|ms|s|m)$/.exec(v.trim()) : null
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
  const ms = typeof v === 'number' ? v * 1000 : m != null ? Number(m[1]) * unit[m[2]!]! : NaN
  const { min, max } = SPEC_LIMITS.serviceMs
  if (!(ms >= min && ms <= max)) {
    ctx.addIssue({ code: 'custom', message: `must be a duration like "100ms", "2.5ms", "1s" or a number of seconds, from 1us to 10m (got ${describeValue(v)})` })
    return z.NEVER
  }
  return ms
})

export const DISTRIBUTIONS = ['exponential', 'deterministic', 'uniform', 'lognormal'] as const
export type Distribution = typeof DISTRIBUTIONS[number]

/** A service time: its distribution at nominal speed (a node with speed 2 takes half of it). */
export type ServiceTime =
  | { distribution: 'exponential', meanMs: number }
  | { distribution: 'deterministic', meanMs: number }
  | { distribution: 'uniform', minMs: number, maxMs: number, meanMs: number }
  | { distribution: 'lognormal', meanMs: number, cv: number }

/** Which fields each distribution takes; any other is a mistake worth telling. */
const DISTRIBUTION_FIELDS: Record<Distribution, readonly string[]> = {
  exponential: ['mean'],
  deterministic: ['value'],
  uniform: ['min', 'max'],
  lognormal: ['mean', 'cv']
}

const serviceObject = strict({
  distribution: z.enum(DISTRIBUTIONS),
  mean: fineDuration.optional(),
  value: fineDuration.optional(),
  min: fineDuration.optional(),
  max: fineDuration.optional(),
  cv: z.number().gt(0).max(10).optional()
}).transform((s, ctx): ServiceTime => {
  const wanted = DISTRIBUTION_FIELDS[s.distribution]
  for (const field of ['mean', 'value', 'min', 'max', 'cv'] as const) {
    if (s[field] == null && wanted.includes(field)) ctx.addIssue({ code: 'custom', path: [field], message: `is required for the ${s.distribution} distribution` })
    if (s[field] != null && !wanted.includes(field)) ctx.addIssue({ code: 'custom', path: [field], message: `is not a field of the ${s.distribution} distribution, which takes ${wanted.join(', ')}` })
  }
  switch (s.distribution) {
    case 'exponential': return { distribution: 'exponential', meanMs: s.mean ?? 1 }
    case 'deterministic': return { distribution: 'deterministic', meanMs: s.value ?? 1 }
    case 'lognormal': return { distribution: 'lognormal', meanMs: s.mean ?? 1, cv: s.cv ?? 1 }
    case 'uniform': {
      const [min, max] = [s.min ?? 0, s.max ?? 1]
      if (min > max) ctx.addIssue({ code: 'custom', path: ['max'], message: `must not be below min (${min} ms)` })
      return { distribution: 'uniform', minMs: min, maxMs: max, meanMs: (min + max) / 2 }
    }
  }
})

/**
 * A service time: `exp:100ms` or `fixed:50ms` (the emulated runtime's own label syntax, for the two
 * common cases), or a map. Dispatched on the value's type by hand: a zod union would answer a bad
 * map with "must be a string", hiding what is wrong inside it.
 */
const serviceSchema = z.unknown().transform((v, ctx): ServiceTime => {
  if (typeof v === 'string') {
    const r = parseServiceTime(v)
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: `${r.message}; or a map: {distribution: exponential|deterministic|uniform|lognormal, ...}` })
      return z.NEVER
    }
    return r.value.kind === 'exp' ? { distribution: 'exponential', meanMs: r.value.meanMs } : { distribution: 'deterministic', meanMs: r.value.meanMs }
  }
  const parsed = serviceObject.safeParse(v, { error: friendlyError })
  if (parsed.success) return parsed.data
  for (const i of parsed.error.issues) {
    // One issue per unknown key, as strict() words them (one line each).
    const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined]
    const lines = i.message.split('\n')
    keys.forEach((key, j) => ctx.addIssue({ code: 'custom', path: key == null ? [...i.path] : [...i.path, key], message: lines[j] ?? lines[0]! }))
  }
  return z.NEVER
})

const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const EXPERIMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

const nameOf = (pattern: RegExp, what: string) => z.string().refine(s => pattern.test(s), {
  error: iss => `must be ${what}: 1 to 64 letters, digits, ".", "_" and "-", starting with a letter or digit (got ${describeValue(iss.input)})`
})

export const taskSchema = strict({
  name: nameOf(TASK_NAME, 'a task type name'),
  service: serviceSchema,
  deadline: duration({ min: 1, max: 3_600_000 }).optional(),
  share: positive(1_000_000).default(1)
})

export const groupSchema = strict({
  count: whole(1, SPEC_LIMITS.nodes).default(1),
  slots: whole(SETTING_RANGES.concurrency.min, SETTING_RANGES.concurrency.max).default(1),
  queue: whole(SETTING_RANGES.queue.min, SETTING_RANGES.queue.max).default(0),
  speed: z.number().min(SPEED_RANGE.min).max(SPEED_RANGE.max).default(1),
  weight: positive(SPEC_LIMITS.weight).default(1),
  rate: positive(SPEC_LIMITS.rate).optional()
})

/** `threshold:F=1,T=2`, or the original's body with a label: `{name: PowerOfNScheduler, parameters: [1, 2, true, 1]}`. */
const scalar = z.union([z.string(), z.number(), z.boolean()])
export const policySchema = z.union([
  z.string().min(1),
  strict({
    name: z.string().min(1),
    parameters: z.union([z.array(scalar).max(32), z.record(z.string(), scalar)]).optional(),
    label: z.string().min(1).max(64).optional()
  })
])

export const experimentSchema = strict({
  name: nameOf(EXPERIMENT_NAME, 'an experiment name').optional(),
  description: z.string().max(4096).optional(),
  function: z.string().refine(s => FUNCTION_NAME.test(s), { error: iss => `must be a function name: lower-case letters, digits and "-" (got ${describeValue(iss.input)})` }).default('experiment'),
  nodes: z.array(groupSchema).min(1).max(SPEC_LIMITS.groups),
  tasks: z.array(taskSchema).min(1).max(SPEC_LIMITS.tasks),
  rho: z.array(positive(SPEC_LIMITS.rho.max)).min(1).max(SPEC_LIMITS.rho.values).optional(),
  policies: z.array(policySchema).min(1).max(SPEC_LIMITS.policies),
  modules: z.array(z.string().min(1)).max(SPEC_LIMITS.modules).default([]),
  duration: duration(SPEC_LIMITS.duration),
  warmup: duration(SPEC_LIMITS.warmup).default(0),
  repetitions: whole(1, SPEC_LIMITS.repetitions).default(1),
  seed: whole(0, 2 ** 32 - 1).optional(),
  timeout: duration({ min: 100, max: 3_600_000 }).default(30_000),
  window: duration({ min: 10, max: 3_600_000 }).optional(),
  cap: whole(1, SPEC_LIMITS.cap).default(1000)
})

export type RawExperiment = z.output<typeof experimentSchema>
export type RawPolicy = z.output<typeof policySchema>
export type RawGroup = z.output<typeof groupSchema>

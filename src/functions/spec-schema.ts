import * as z from 'zod'
import { FunctionSpecError, friendlyError, issuesFromZod, formatIssue } from './errors.js'
import { envProcessSchema, imageSchema, nameSchema, runtimeNeeds, stringMapSchema } from './fields.js'
import { CPU_RANGE, MEMORY_RANGE, TIMEOUT_RANGE } from './quantities.js'
import { readSettings, RUNTIMES, SETTING_RANGES } from './settings.js'
import type { FunctionSpec } from './types.js'

export const MAX_PIDS = 4_194_304

const int = (min: number, max: number) => z.number().int().min(min).max(max)

/**
 * FunctionSpec itself, for specs that come back from disk or from code rather than from a user:
 * the same ranges the parsers enforce, so nothing the parsers would refuse gets in another way.
 */
export const functionSpecSchema = z.strictObject({
  name: nameSchema,
  image: imageSchema.optional(),
  envProcess: envProcessSchema.optional(),
  env: stringMapSchema('env'),
  labels: stringMapSchema('meta'),
  annotations: stringMapSchema('meta'),
  limits: z.strictObject({
    memoryBytes: int(MEMORY_RANGE.min, MEMORY_RANGE.max).optional(),
    cpus: z.number().min(CPU_RANGE.min).max(CPU_RANGE.max).optional(),
    pids: int(1, MAX_PIDS)
  }),
  concurrency: int(SETTING_RANGES.concurrency.min, SETTING_RANGES.concurrency.max),
  queue: int(SETTING_RANGES.queue.min, SETTING_RANGES.queue.max),
  timeoutMs: int(TIMEOUT_RANGE.min, TIMEOUT_RANGE.max),
  minWarm: int(0, SETTING_RANGES.concurrency.max),
  runtime: z.enum(RUNTIMES as ['http', 'process', 'emulated']),
  readOnlyRootFilesystem: z.boolean()
}).superRefine((spec, ctx) => {
  const issues = [
    ...readSettings(spec.labels).issues.map(i => ({ path: ['labels', ...i.path], message: i.message })),
    ...runtimeNeeds(spec.runtime, spec.image != null, spec.envProcess != null)
  ]
  if (spec.minWarm > spec.concurrency) issues.push({ path: ['minWarm'], message: `must not exceed concurrency (${spec.concurrency}) (got ${spec.minWarm})` })
  for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path })
}) satisfies z.ZodType<FunctionSpec>

/** Checks a FunctionSpec and returns a deep copy. Throws FunctionSpecError listing every problem. */
export function checkFunctionSpec (value: unknown): FunctionSpec {
  const parsed = functionSpecSchema.safeParse(value, { error: friendlyError })
  if (!parsed.success) throw new FunctionSpecError(issuesFromZod(parsed.error).map(formatIssue))
  return parsed.data
}

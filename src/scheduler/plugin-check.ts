import * as z from 'zod'
import { PolicyError } from './errors.js'
import { isReservedPolicyName } from './registry.js'
import type { ParamSpecs } from './params.js'
import type { PolicyPlugin } from './plugin.js'

/** The rule for a plugin's name: what `--policy` and the configuration body can spell. */
export const POLICY_NAME_RULE = /^[a-z][a-z0-9-]{0,62}$/
/** A parameter's key: `k=v` text is split on ',' and '=', and keys match in any casing. */
export const PARAM_KEY_RULE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/
const MAX_PARAMS = 32

const about = z.string().max(500)
const boundedSpec = z.object({
  kind: z.enum(['int', 'number', 'duration']),
  min: z.number(),
  max: z.number(),
  about
}).refine(s => s.min <= s.max, 'min must not be above max')
  .refine(s => s.kind !== 'duration' || s.min >= 0, 'a duration cannot be negative')
const specSchema = z.union([boundedSpec, z.object({ kind: z.enum(['bool', 'peer-id']), about })])

const paramsSchema = z.record(z.string(), specSchema).superRefine((p, ctx) => {
  const keys = Object.keys(p)
  const bad = keys.find(k => !PARAM_KEY_RULE.test(k))
  // Checked here rather than on the record's key schema, whose own message would not name the key.
  if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `parameter key ${JSON.stringify(bad)}: a key is a letter, then letters, digits or _ (at most 32)` })
  if (keys.length > MAX_PARAMS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_PARAMS} parameters` })
  if (new Set(keys.map(k => k.toLowerCase())).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'two parameter keys differ only in casing (keys match in any casing)' })
})

const pluginSchema = z.object({
  name: z.string().regex(POLICY_NAME_RULE, 'name must be lower case letters, digits and -, starting with a letter, at most 63 characters')
    .superRefine((name, ctx) => {
      if (isReservedPolicyName(name)) ctx.addIssue({ code: 'custom', message: `name "${name}" is taken by a built-in policy` })
    }),
  about: about.optional(),
  parameters: paramsSchema.optional(),
  create: z.custom<PolicyPlugin['create']>(v => typeof v === 'function', 'create must be a function (params) => policy')
})

function describe (error: z.ZodError): string {
  return error.issues.map(i => i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message).join('; ')
}

/**
 * A plugin checked at the edge: what a module exported is untrusted until it passed. Throws
 * PolicyError naming `where` (the module's path) and every problem found. The result is a frozen
 * copy, so the module cannot change its name or specs after the check.
 */
export function checkPlugin (value: unknown, where: string): PolicyPlugin {
  if (typeof value !== 'object' || value === null) {
    throw new PolicyError(`${where}: the default export must be a policy plugin { name, parameters?, create(params) } (got ${value === null ? 'null' : typeof value})`)
  }
  const parsed = pluginSchema.safeParse(value)
  if (!parsed.success) throw new PolicyError(`${where}: not a policy plugin: ${describe(parsed.error)}`)
  const raw = value as PolicyPlugin
  const parameters: ParamSpecs = Object.freeze(Object.fromEntries(Object.entries(parsed.data.parameters ?? {}).map(([k, s]) => [k, Object.freeze({ ...s })])))
  return Object.freeze({
    name: parsed.data.name,
    ...(parsed.data.about === undefined ? {} : { about: parsed.data.about }),
    parameters,
    // Called on the module's own object, so a create() that uses `this` still works.
    create: params => raw.create(params)
  } satisfies PolicyPlugin)
}

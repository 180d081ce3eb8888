import * as z from 'zod'
import { PolicyError } from './errors.js'
import { checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, type ParamSpecs, type ParamValue } from './params.js'
import type { PluginPolicy, PolicyPlugin } from './plugin.js'
import type { Policy } from './types.js'

const fn = z.custom<(...args: never[]) => unknown>(v => typeof v === 'function', 'must be a function')
const instanceSchema = z.object({
  decide: fn,
  afterProbe: fn.optional(),
  observe: fn.optional(),
  maxHops: z.unknown().optional(),
  // It goes into an HTTP header (X-P2pfaas-Scheduler): printable ASCII only.
  label: z.string().regex(/^[\x20-\x7e]{1,200}$/, 'printable ASCII, 1 to 200 characters').optional(),
  parameters: z.record(z.string().max(64), z.union([z.number(), z.boolean(), z.string().max(256)])).optional()
})

/** The specs the registry checks text against: the plugin's, plus `maxHops` when it does not take it itself. */
export function pluginSpecs (plugin: PolicyPlugin): ParamSpecs {
  const own = plugin.parameters ?? {}
  return Object.hasOwn(own, 'maxHops') ? own : { ...own, maxHops: MAX_HOPS_SPEC }
}

function made (plugin: PolicyPlugin, params: Readonly<Record<string, ParamValue>>): PluginPolicy {
  let instance: unknown
  try {
    instance = plugin.create(params)
  } catch (err) {
    // Refusing parameters is create()'s right (a 400 to the POST, exit 2 at start), not a crash.
    throw new PolicyError(`${plugin.name}: ${err instanceof Error ? err.message : String(err)}`)
  }
  const parsed = instanceSchema.safeParse(instance)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(i => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')
    throw new PolicyError(`${plugin.name}: create() must return { decide(req, local, candidates, rng), ... }: ${problems}`)
  }
  return instance as PluginPolicy
}

/**
 * A plugin's instance as a Policy, as the rules and the invoke service use one. Unguarded: a
 * PolicyCatalog wraps it in guardPolicy. `params` are already checked against pluginSpecs().
 * maxHops is the framework's: taken from the parameters unless the plugin declares it, in which
 * case the plugin gets it and answers with its own.
 */
export function policyFromPlugin (plugin: PolicyPlugin, params: Readonly<Record<string, ParamValue>>): Policy {
  const declaresMaxHops = Object.hasOwn(plugin.parameters ?? {}, 'maxHops')
  const { maxHops: givenHops, ...rest } = params
  const forPlugin = Object.freeze(declaresMaxHops ? { ...params } : rest)
  const instance = made(plugin, forPlugin)
  const wanted = declaresMaxHops ? (instance.maxHops ?? givenHops) : (givenHops ?? instance.maxHops)
  const maxHops = checkParam(plugin.name, 'maxHops', MAX_HOPS_SPEC, wanted, DEFAULT_MAX_HOPS)
  const parameters = Object.freeze({ ...(instance.parameters ?? forPlugin), maxHops })
  const shownParams = Object.entries(parameters).map(([k, v]) => `${k}=${v}`).join(', ')
  return Object.freeze({
    name: plugin.name,
    label: instance.label ?? `${plugin.name}(${shownParams})`,
    maxHops,
    parameters,
    // Called on the instance, so a policy written as a class keeps its `this`.
    decide: (req, local, candidates, rng) => instance.decide(req, local, candidates, rng),
    ...(instance.afterProbe === undefined ? {} : { afterProbe: (req, local, probed, rng) => instance.afterProbe!(req, local, probed, rng) } satisfies Pick<Policy, 'afterProbe'>),
    ...(instance.observe === undefined ? {} : { observe: outcome => { instance.observe!(outcome) } } satisfies Pick<Policy, 'observe'>)
  } satisfies Policy)
}

import { PolicyError } from './errors.js'
import { guardPolicy, type PolicyFailure } from './guard.js'
import { checkPlugin } from './plugin-check.js'
import { pluginSpecs, policyFromPlugin } from './plugin-policy.js'
import { parsePolicy, POLICY_NAMES, policyFromOriginal, type PolicyEntry } from './registry.js'
import type { PolicyPlugin } from './plugin.js'
import type { Policy } from './types.js'

export interface PolicyCatalogInit {
  /** Plugins beyond the built-ins, e.g. from loadPolicyModules(). */
  plugins?: readonly PolicyPlugin[]
  /** Told of every failure of a plugin policy (a node counts and logs them); default: dropped. */
  onFailure?: (failure: PolicyFailure) => void
  /** What decides a call a plugin could not; default: a new least-loaded (the built-in default). */
  fallback?: () => Policy
}

/** The policies one node can choose from: the built-ins and the plugins it loaded. */
export interface PolicyCatalog {
  /** Built-ins first, then plugins in the order given. */
  readonly names: readonly string[]
  readonly plugins: readonly PolicyPlugin[]
  /** As parsePolicy, plugins included: `name[:k=v,...]`. Throws PolicyError. */
  parse(spec: string): Policy
  /** As policyFromOriginal (the POST /configuration/scheduler body), plugins included. Throws PolicyError. */
  fromOriginal(body: unknown): Policy
}

/**
 * One per node, made at start: no module-level table a plugin could be registered into, so two
 * nodes in one process (tests, benchmarks) never see each other's plugins. Every plugin policy it
 * makes is guarded (guardPolicy), so a plugin's bug can cost a decision, never a call.
 */
export function createPolicyCatalog (init: PolicyCatalogInit = {}): PolicyCatalog {
  const onFailure = init.onFailure ?? (() => {})
  const plugins = (init.plugins ?? []).map(p => checkPlugin(p, `policy plugin ${JSON.stringify(p?.name)}`))
  const extra = new Map<string, PolicyEntry>()
  for (const plugin of plugins) {
    if (extra.has(plugin.name)) throw new PolicyError(`two policy modules are named "${plugin.name}"`)
    extra.set(plugin.name, {
      specs: pluginSpecs(plugin),
      create: params => guardPolicy(policyFromPlugin(plugin, params), { fallback: init.fallback?.(), onFailure })
    })
  }
  return Object.freeze({
    names: Object.freeze([...POLICY_NAMES, ...extra.keys()]),
    plugins: Object.freeze(plugins),
    parse: (spec: string) => parsePolicy(spec, extra),
    fromOriginal: (body: unknown) => policyFromOriginal(body, extra)
  })
}

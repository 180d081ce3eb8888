import { createPolicyCatalog, type PolicyCatalog } from '../scheduler/catalog.js'
import { createPolicyFailures, type PolicyFailures } from '../scheduler/failures.js'
import { loadPolicyModules } from '../scheduler/plugin-load.js'
import type { NodeConfig } from './config.js'
import type { Logger } from '../log.js'
import type { Policy } from '../scheduler/types.js'

/** The node's scheduling: what it can choose from, its plugins' failures, and the policy it starts with. */
export interface NodePolicies {
  catalog: PolicyCatalog
  failures: PolicyFailures
  initial: Policy
}

/**
 * Loads --policy-module files and parses --policy against them. Done first thing when a node is
 * made, before any identity or port is touched: a bad module or spec throws PolicyError, which the
 * CLI reports as a bad flag (exit 2).
 */
export async function setUpPolicies (config: Pick<NodeConfig, 'policy' | 'policyModules'>, log: Logger): Promise<NodePolicies> {
  const plugins = await loadPolicyModules(config.policyModules)
  const failures = createPolicyFailures({ log: log.child({ component: 'scheduler' }) })
  const catalog = createPolicyCatalog({ plugins, onFailure: failures.record })
  config.policyModules.forEach((path, i) => {
    const plugin = plugins[i]
    if (plugin !== undefined) log.info({ module: path, policy: plugin.name, parameters: Object.keys(plugin.parameters ?? {}) }, 'loaded a scheduling policy plugin')
  })
  return { catalog, failures, initial: catalog.parse(config.policy) }
}

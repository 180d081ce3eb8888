/**
 * The public face of scheduling, `import ... from 'p2pfaas/scheduler'`: what a policy plugin is
 * written against (types), and what its author needs to test one (a seeded rng, the loader, the
 * guard and the catalog the node uses). Nothing here starts a node or touches the network.
 * docs/writing-a-policy.md walks through a worked example.
 */
export type { PluginPolicy, PolicyPlugin } from './plugin.js'
export type { CallOutcome, Candidate, Decision, LocalLoad, Policy, ProbeResult, Rng, SchedulingRequest, TypeLoad } from './types.js'
export type { ParamSpec, ParamSpecs, ParamValue } from './params.js'
export type { GuardInit, PolicyFailure, PolicyFailureKind, PolicyStep } from './guard.js'
export type { PolicyCatalog, PolicyCatalogInit } from './catalog.js'
export type { LoadPolicyInit } from './plugin-load.js'
export { seededRng } from './seeded.js'
export { PolicyError } from './errors.js'
export { guardPolicy, invalidDecision, MAX_REASON_CHARS } from './guard.js'
export { createPolicyCatalog } from './catalog.js'
export { loadPolicyModule, loadPolicyModules } from './plugin-load.js'
export { POLICY_NAME_RULE } from './plugin-check.js'
export { MAX_HOPS_LIMIT } from './params.js'

/** Scheduling: the contract, the shared rules the invoke service calls, the policies and their registry. */
export type { CallOutcome, Candidate, Decision, LocalLoad, Policy, ProbeResult, Rng, SchedulingRequest, TypeLoad } from './types.js'
export type { PluginPolicy, PolicyPlugin } from './plugin.js'
export { afterProbe, decide, isLossMode } from './rules.js'
export { PolicyError } from './errors.js'
export { createPolicyCatalog, type PolicyCatalog, type PolicyCatalogInit } from './catalog.js'
export { guardPolicy, invalidDecision, type PolicyFailure } from './guard.js'
export { loadPolicyModule, loadPolicyModules } from './plugin-load.js'
export {
  createDefaultPolicy, DEFAULT_POLICY, describePolicy, parsePolicy, POLICY_NAMES, policyFromOriginal, toOriginal,
  type OriginalSchedulerBody, type PolicyDescription, type PolicyName
} from './registry.js'
export { createLocal, type LocalParams } from './local.js'
export { createRandom, type RandomParams } from './random.js'
export { createRoundRobin, type RoundRobinParams } from './round-robin.js'
export { createRoundRobinMaster, type RoundRobinMasterParams } from './round-robin-master.js'
export { createPowerOfD, type PowerOfDParams } from './power-of-d.js'
export { createThreshold, type ThresholdParams } from './threshold.js'
export { createLeastLoaded, type LeastLoadedParams } from './least-loaded.js'
export { createLearning, learnerOf, type Learner, type LearningParams, type LearningStats } from './learning/policy.js'

import type { ParamSpecs, ParamValue } from './params.js'
import type { CallOutcome, Candidate, Decision, LocalLoad, ProbeResult, Rng, SchedulingRequest } from './types.js'

/**
 * A scheduling policy written outside this repository and loaded at start with
 * `p2pfaas node --policy-module <file.js>`: the module's default export. Once loaded, it is chosen
 * like a built-in one, `--policy <name>:k=v` or `POST /configuration/scheduler`
 * `{"name": "<name>", "parameters": ["k=v"]}`. docs/writing-a-policy.md walks through one.
 *
 * ```ts
 * import type { PolicyPlugin } from 'p2pfaas/scheduler'
 * const plugin: PolicyPlugin = {
 *   name: 'always-here',
 *   create: () => ({ decide: () => ({ action: 'local', reason: 'always here' }) })
 * }
 * export default plugin
 * ```
 */
export interface PolicyPlugin {
  /**
   * What `--policy` and the configuration body call it: lower case, digits and '-', starting with a
   * letter, at most 63 characters (the rule function names follow). Must not be a built-in name.
   */
  name: string
  /** One line for a reader of the logs and the docs. */
  about?: string
  /**
   * The parameters it takes, checked exactly as the built-ins' are: a key not listed here is refused,
   * and every value is converted and range-checked before `create` sees it, so a typo is an error
   * at the flag or the POST, never a parameter silently ignored. Every plugin also takes `maxHops`
   * (default 1); list it here to receive it in `create` yourself.
   */
  parameters?: ParamSpecs
  /**
   * A new policy instance. `params` holds only the keys given, each already valid for its spec: fill
   * in your own defaults. Called once per `--policy` or POST, so an instance may keep state (a
   * round-robin cursor, learnt estimates). Throwing a PolicyError-like Error refuses the parameters.
   */
  create(params: Readonly<Record<string, ParamValue>>): PluginPolicy
}

/**
 * One instance of a plugin policy. Like the built-ins, `decide` should be a function of its
 * arguments and the instance's own state: no I/O, no clock, random choices from `rng` only, so a
 * seeded rng replays every decision in a test.
 *
 * The node applies the rules every policy shares before asking it (bypass, hop limit, no candidate,
 * a forced forward), so `decide` is only called with at least one candidate, none on the call's path.
 * What it answers is checked: a throw or an invalid decision is counted
 * (`p2pfaas_policy_failures_total`), logged, and the call is decided by the default policy instead.
 */
export interface PluginPolicy {
  /** Hand-offs a call may make in all, 0 to 8; default: the `maxHops` parameter, else 1. */
  maxHops?: number
  /** As the X-P2pfaas-Scheduler header and the dashboard show it; default `name(k=v, ...)`. */
  label?: string
  /**
   * The parameters in force, defaults filled in, for GET /configuration/scheduler; default: those
   * given. `loss: true` here makes a call the rules keep here be refused when no slot is free.
   */
  parameters?: Readonly<Record<string, ParamValue>>
  /**
   * Where the call runs: `local`, `forward` to some of `candidates` (most preferred first, the node
   * tries the next if one refuses before accepting), `reject`, or `probe` some of them and decide in
   * `afterProbe`. Peers named must be distinct and among `candidates`; `reason` is a short string
   * (at most 256 characters) that ends up in logs.
   */
  decide(req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision
  /** Required to answer `probe`: decides from what the probed peers said (`load` undefined: the probe failed). */
  afterProbe?(req: SchedulingRequest, local: LocalLoad, probed: readonly ProbeResult[], rng: Rng): Decision
  /** How each call this node decided ended (see CallOutcome); runs on the call path, keep it quick. */
  observe?(outcome: CallOutcome): void
}

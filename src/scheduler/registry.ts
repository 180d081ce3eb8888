import { PolicyError, shown } from './errors.js'
import { createLeastLoaded, LEAST_LOADED_PARAMS, type LeastLoadedParams } from './least-loaded.js'
import { createLearning, LEARNING_PARAMS, type LearningParams } from './learning/policy.js'
import { createLocal, LOCAL_PARAMS, type LocalParams } from './local.js'
import { accepted, parseParam, type ParamSpecs, type ParamValue } from './params.js'
import { createPowerOfD, POWER_OF_D_PARAMS, type PowerOfDParams } from './power-of-d.js'
import { createRandom, RANDOM_PARAMS, type RandomParams } from './random.js'
import { createRoundRobin, ROUND_ROBIN_PARAMS, type RoundRobinParams } from './round-robin.js'
import { createRoundRobinMaster, DEFAULT_MASTER_HOPS, ROUND_ROBIN_MASTER_PARAMS, type RoundRobinMasterParams } from './round-robin-master.js'
import { createThreshold, THRESHOLD_PARAMS, type ThresholdParams } from './threshold.js'
import type { Policy } from './types.js'

export { PolicyError } from './errors.js'

export const POLICY_NAMES = ['local', 'random', 'round-robin', 'power-of-d', 'threshold', 'least-loaded', 'round-robin-master', 'learning'] as const
export type PolicyName = typeof POLICY_NAMES[number]

/**
 * The default is least-loaded: it decides from the gossiped view, so a call never waits for a probe
 * round trip (threshold's cost on every call past its threshold), and it forwards only when this
 * node is full, so a lightly loaded mesh pays no hand-off at all.
 */
export const DEFAULT_POLICY: PolicyName = 'least-loaded'

export function createDefaultPolicy (): Policy {
  return createLeastLoaded()
}

/** A policy the registry can make from text: its parameters' specs and its factory. */
export interface PolicyEntry {
  specs: ParamSpecs
  /** Values already converted and range-checked against `specs`; the factory checks them again. */
  create: (params: Record<string, ParamValue>) => Policy
}

/** Policies beyond the built-ins (a catalog's plugins), by their lower-case name. */
export type ExtraPolicies = ReadonlyMap<string, PolicyEntry>
const NO_EXTRA: ExtraPolicies = new Map()

const POLICIES: Record<PolicyName, PolicyEntry> = {
  local: { specs: LOCAL_PARAMS, create: p => createLocal(p as LocalParams) },
  random: { specs: RANDOM_PARAMS, create: p => createRandom(p as RandomParams) },
  'round-robin': { specs: ROUND_ROBIN_PARAMS, create: p => createRoundRobin(p as RoundRobinParams) },
  'power-of-d': { specs: POWER_OF_D_PARAMS, create: p => createPowerOfD(p as PowerOfDParams) },
  threshold: { specs: THRESHOLD_PARAMS, create: p => createThreshold(p as ThresholdParams) },
  'least-loaded': { specs: LEAST_LOADED_PARAMS, create: p => createLeastLoaded(p as LeastLoadedParams) },
  'round-robin-master': { specs: ROUND_ROBIN_MASTER_PARAMS, create: p => createRoundRobinMaster(p as RoundRobinMasterParams) },
  learning: { specs: LEARNING_PARAMS, create: p => createLearning(p as LearningParams) }
}

/**
 * The original's scheduler names, their positional parameters (as our keys) and our policy; `note`
 * is added to an error about a parameter, where ours differs from the original's.
 */
const ORIGINALS: Record<string, { policy: PolicyName, keys: readonly string[], note?: string }> = {
  NoScheduler: { policy: 'local', keys: ['loss'] },
  ForwardScheduler: { policy: 'random', keys: ['maxHops'] },
  PowerOfNScheduler: { policy: 'threshold', keys: ['F', 'T', 'loss', 'maxHops'] },
  PowerOfNSchedulerTau: { policy: 'threshold', keys: ['F', 'T', 'loss', 'maxHops', 'tauMs'] },
  RoundRobinWithMasterScheduler: {
    policy: 'round-robin-master',
    keys: ['isMaster', 'master', 'loss'],
    note: 'the original named the master by its IP address; here it is the master\'s PeerId'
  },
  LearningScheduler: {
    policy: 'learning',
    keys: ['taskTypes'],
    note: 'taskTypes is the original\'s numTaskTypes'
  }
}

/** The original's scheduler names this registry takes (for hints: "did you mean PowerOfNScheduler?"). */
export const ORIGINAL_NAMES: readonly string[] = Object.freeze(Object.keys(ORIGINALS))

function isPolicyName (name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name)
}

/** Exact name first, then any casing: the original's clients sent exact names, people type loosely. */
function findKey<T> (table: Record<string, T>, name: string): string | undefined {
  if (Object.hasOwn(table, name)) return name
  return Object.keys(table).find(k => k.toLowerCase() === name.toLowerCase())
}

/**
 * Names a plugin may not take: the built-ins, and the original's names in any casing (they are
 * matched in any casing, so a plugin "noscheduler" could never be chosen).
 */
export function isReservedPolicyName (name: string): boolean {
  return isPolicyName(name.toLowerCase()) || findKey(ORIGINALS, name) !== undefined
}

const namesOf = (extra: ExtraPolicies): string => [...POLICY_NAMES, ...extra.keys()].join(', ')

function unknownName (name: string, extra: ExtraPolicies): PolicyError {
  const original = findKey(ORIGINALS, name)
  const hint = original === undefined ? '' : ` (the original's ${original} is "${ORIGINALS[original]?.policy}" here)`
  return new PolicyError(`unknown scheduling policy ${shown(name)}${hint}; one of: ${namesOf(extra)}`)
}

function entryFor (name: string, extra: ExtraPolicies): [string, PolicyEntry] {
  const lower = name.toLowerCase()
  if (isPolicyName(lower)) return [lower, POLICIES[lower]]
  const plugin = extra.get(lower)
  if (plugin === undefined) throw unknownName(name, extra)
  return [lower, plugin]
}

function describeSpecs (specs: ParamSpecs): string {
  return Object.entries(specs).map(([k, s]) => `${k} (${accepted(s)}: ${s.about})`).join('; ')
}

/** "k=v" pairs to typed values; keys match in any casing, each at most once. */
function fromPairs (policy: string, specs: ParamSpecs, pairs: readonly string[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new PolicyError(`${policy}: expected key=value, got ${shown(pair)}`)
    const given = pair.slice(0, eq).trim()
    const key = Object.keys(specs).find(k => k.toLowerCase() === given.toLowerCase())
    if (key === undefined) {
      throw new PolicyError(`${policy}: unknown parameter ${shown(given)}; accepted: ${describeSpecs(specs)}`)
    }
    if (Object.hasOwn(out, key)) throw new PolicyError(`${policy}: parameter ${key} given twice`)
    out[key] = parseParam(policy, key, specs[key] as NonNullable<ParamSpecs[string]>, pair.slice(eq + 1))
  }
  return out
}

/**
 * A policy from CLI or env syntax: `name[:k=v,k=v]`, e.g. `threshold:F=2,T=3,loss=true,maxHops=1`,
 * `power-of-d:d=3`, `local:loss=true`, `random:maxHops=2`, `least-loaded`. Throws PolicyError.
 * `extra` adds policies to choose from (a PolicyCatalog's plugins); the built-ins always win.
 */
export function parsePolicy (spec: string, extra: ExtraPolicies = NO_EXTRA): Policy {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new PolicyError(`scheduling policy must be name[:key=value,...] with name one of: ${namesOf(extra)} (got ${shown(spec)})`)
  }
  const text = spec.trim()
  const colon = text.indexOf(':')
  const [name, entry] = entryFor(colon < 0 ? text : text.slice(0, colon).trim(), extra)
  const rest = colon < 0 ? '' : text.slice(colon + 1).trim()
  const pairs = rest === '' ? [] : rest.split(',').map(p => p.trim())
  return entry.create(fromPairs(name, entry.specs, pairs))
}

/** The body of the original's `POST /configuration/scheduler`. */
export interface OriginalSchedulerBody {
  name: string
  /** Strings in the original; numbers and booleans are taken as their text. */
  parameters?: ReadonlyArray<string | number | boolean>
}

const BODY_SHAPE = '{"name": string, "parameters": [string, ...]}'

function readBody (body: unknown): { name: string, parameters: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PolicyError(`scheduler configuration must be ${BODY_SHAPE} (got ${shown(body)})`)
  }
  const { name, parameters } = body as Record<string, unknown>
  if (typeof name !== 'string' || name.trim() === '') {
    throw new PolicyError(`scheduler configuration: name must be a scheduler name such as "PowerOfNScheduler" or "${DEFAULT_POLICY}" (got ${shown(name)})`)
  }
  if (parameters !== undefined && parameters !== null && !Array.isArray(parameters)) {
    throw new PolicyError(`scheduler configuration: parameters must be an array of strings (got ${shown(parameters)})`)
  }
  const list: unknown[] = parameters ?? []
  const bad = list.findIndex(p => typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean')
  if (bad >= 0) throw new PolicyError(`scheduler configuration: parameters[${bad}] must be a string (got ${shown(list[bad])})`)
  return { name: name.trim(), parameters: list.map(String) }
}

/**
 * A policy from the original's `POST /configuration/scheduler` body, e.g.
 * `{"name": "PowerOfNScheduler", "parameters": ["1", "2", "true", "1"]}`. The original's names take
 * their positional parameters, all required: NoScheduler [loss], ForwardScheduler [maxHops],
 * PowerOfNScheduler [F, T, loss, maxHops], PowerOfNSchedulerTau [F, T, loss, maxHops, tau],
 * RoundRobinWithMasterScheduler [isMaster, master PeerId, loss], LearningScheduler [numTaskTypes].
 * Our own names, and plugins' in `extra`, take "key=value" strings:
 * `{"name": "power-of-d", "parameters": ["d=3"]}`.
 */
export function policyFromOriginal (body: unknown, extra: ExtraPolicies = NO_EXTRA): Policy {
  const { name, parameters } = readBody(body)
  const original = findKey(ORIGINALS, name)
  if (original === undefined) {
    const [canonical, entry] = entryFor(name, extra)
    return entry.create(fromPairs(canonical, entry.specs, parameters))
  }
  const { policy, keys, note } = ORIGINALS[original] as typeof ORIGINALS[string]
  if (parameters.length !== keys.length) {
    throw new PolicyError(`${original} takes ${keys.length} parameter${keys.length === 1 ? '' : 's'} [${keys.join(', ')}] (got ${parameters.length})`)
  }
  const entry = POLICIES[policy]
  const values: Record<string, ParamValue> = {}
  try {
    keys.forEach((key, i) => {
      values[key] = parseParam(original, key, entry.specs[key] as NonNullable<ParamSpecs[string]>, parameters[i] as string)
    })
    return entry.create(values)
  } catch (err) {
    if (note === undefined || !(err instanceof PolicyError)) throw err
    throw new PolicyError(`${err.message} (${note})`)
  }
}

/** What GET /configuration/scheduler and the dashboard show. */
export interface PolicyDescription {
  name: string
  label: string
  parameters: Record<string, string | number | boolean>
  maxHops: number
}

export function describePolicy (policy: Policy): PolicyDescription {
  return { name: policy.name, label: policy.label, parameters: { ...policy.parameters }, maxHops: policy.maxHops }
}

/**
 * The policy as the original's GET /configuration/scheduler showed it, for clients of the original;
 * undefined when the original had no equivalent (our own policies, a threshold following capacity).
 */
export function toOriginal (policy: Policy): { name: string, parameters: string[] } | undefined {
  const p = policy.parameters
  switch (policy.name) {
    case 'local': return { name: 'NoScheduler', parameters: [String(p.loss)] }
    case 'random': return { name: 'ForwardScheduler', parameters: [String(p.maxHops)] }
    case 'threshold': {
      if (typeof p.T !== 'number') return undefined
      const common = [String(p.F), String(p.T), String(p.loss), String(p.maxHops)]
      return typeof p.tauMs === 'number'
        ? { name: 'PowerOfNSchedulerTau', parameters: [...common, `${Math.trunc(p.tauMs)}ms`] }
        : { name: 'PowerOfNScheduler', parameters: common }
    }
    case 'round-robin-master':
      // The original always said whether this node is the master, and had no hop limit to set.
      if (typeof p.isMaster !== 'boolean' || p.maxHops !== DEFAULT_MASTER_HOPS) return undefined
      return { name: 'RoundRobinWithMasterScheduler', parameters: [String(p.isMaster), String(p.master), String(p.loss)] }
    case 'learning':
      // The original took numTaskTypes only: anything else set is ours (the label says which).
      return policy.label.startsWith('LearningScheduler(') ? { name: 'LearningScheduler', parameters: [String(p.taskTypes)] } : undefined
    default: return undefined
  }
}

import { normalisedLoad } from '../load.js'
import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, refuseUnusedWithoutHops, type ParamSpec, type ParamSpecs } from '../params.js'
import { pickOne } from '../sampling.js'
import { createAgent, type Agent, type LearntValues } from './agent.js'
import { actionNames, FIRST_PEER, LOCAL, loadPerType, PROBE, REJECT, roomAtPeers, roomHere, stateKey, typeIndex, validActions } from './state.js'
import { createTransitions, type Transitions } from './transitions.js'
import type { CallOutcome, Candidate, Decision, LocalLoad, Policy, ProbeResult, Rng, SchedulingRequest } from '../types.js'

export const LEARNING = 'learning'
/** Decisions kept while their calls run; past that the oldest are dropped (counted). */
export const MAX_PENDING = 4096
/** Bumped whenever what a state key or an action index means changes: a stored table must match. */
export const STATE_ENCODING = 'v1'

export interface LearningParams {
  /** Task types told apart, the original's numTaskTypes. Default 1. */
  taskTypes?: number
  /** Chance of a random action. Default 0.05. */
  epsilon?: number
  /** Step size of Q. Default 0.1. */
  alpha?: number
  /** Step size of the average reward. Default 0.01. */
  beta?: number
  /** Candidates, in PeerId order, the agent may hand a call to directly (besides probing one). Default 2. */
  peers?: number
  /** States the table holds at most. Default 10000. */
  maxStates?: number
  /** Default 1. */
  maxHops?: number
}

const SPECS = {
  taskTypes: { kind: 'int', min: 1, max: 16, about: 'task types told apart (the original\'s numTaskTypes); a call of another type, or of none, is learnt as type 0' },
  epsilon: { kind: 'number', min: 0, max: 1, about: 'chance of exploring: a random action rather than the best known' },
  alpha: { kind: 'number', min: 0, max: 1, about: 'step size of the action values Q' },
  beta: { kind: 'number', min: 0, max: 1, about: 'step size of the average reward' },
  peers: { kind: 'int', min: 0, max: 8, about: 'candidates, in PeerId order, a call may be handed to directly besides probing one (each adds a column to the table)' },
  maxStates: { kind: 'int', min: 16, max: 100_000, about: 'states the table holds at most' }
} as const satisfies Record<string, ParamSpec>
export const LEARNING_PARAMS: ParamSpecs = { ...SPECS, maxHops: MAX_HOPS_SPEC }
export const LEARNING_DEFAULTS = { taskTypes: 1, epsilon: 0.05, alpha: 0.1, beta: 0.01, peers: 2, maxStates: 10_000 } as const

/** What a stored table must have been learnt with to be taken up again. */
export interface TableShape {
  encoding: string
  taskTypes: number
  actions: string[]
}

export interface LearntTable extends LearntValues {
  shape: TableShape
}

/** What the node shows of a learning policy (GET /configuration/scheduler/learning, metrics, dashboard). */
export interface LearningStats {
  taskTypes: number
  epsilon: number
  alpha: number
  beta: number
  /** States with a row in the table. */
  states: number
  averageReward: number
  updates: number
  decisions: number
  explored: number
  /** explored / decisions. */
  explorationShare: number
  /** Outcomes of this instance's decisions it was rewarded for, and the sum of those rewards. */
  rewards: number
  rewardSum: number
  /** rewardSum / rewards: the share of calls that ended within their deadline. */
  rewardRate: number
  /** Calls decided whose outcome has not come yet. */
  pending: number
  dropped: number
  unmatched: number
  tableFull: number
  /** Decisions for calls of a type the policy does not cover (or of none), learnt as type 0. */
  untyped: number
}

/** The learning a node keeps for a learning policy in force: what it saves, restores and resets. */
export interface Learner {
  readonly shape: TableShape
  stats(): LearningStats
  exportTable(): LearntTable
  /** Takes up a stored table; returns why not when it was learnt with another shape. */
  importTable(table: LearntTable): string | undefined
  /** Forgets everything learnt (the table and R̄); the activity counters go on. */
  reset(): void
  /** `onUpdate` runs after each reward the agent learns from; returns the unsubscribe. */
  watch(onUpdate: () => void): () => void
}

export interface LearningPolicy extends Policy {
  readonly learner: Learner
}

export function learnerOf (policy: Policy): Learner | undefined {
  return policy.name === LEARNING && 'learner' in policy ? (policy as LearningPolicy).learner : undefined
}

/** 1 when the call ended well within its type's deadline (or, with none, ended well at all); else 0. */
export function rewardOf (outcome: Pick<CallOutcome, 'ok' | 'totalMs' | 'deadlineMs'>): 0 | 1 {
  return outcome.ok && (outcome.deadlineMs === undefined || outcome.totalMs <= outcome.deadlineMs) ? 1 : 0
}

const byPeerId = (a: Candidate, b: Candidate): number => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0

function checked (params: LearningParams): Required<LearningParams> {
  checkKnownKeys(LEARNING, params, LEARNING_PARAMS)
  const value = <K extends keyof typeof SPECS>(key: K): number => checkParam(LEARNING, key, SPECS[key], params[key], LEARNING_DEFAULTS[key])
  const maxHops = checkParam(LEARNING, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  refuseUnusedWithoutHops(LEARNING, maxHops, params, Object.keys(SPECS))
  return {
    taskTypes: value('taskTypes'),
    epsilon: value('epsilon'),
    alpha: value('alpha'),
    beta: value('beta'),
    peers: value('peers'),
    maxStates: value('maxStates'),
    maxHops
  }
}

/** The original's label when only its parameter differs from the defaults; ours otherwise. */
function labelOf (p: Required<LearningParams>): string {
  const d = LEARNING_DEFAULTS
  const originalOnly = p.epsilon === d.epsilon && p.alpha === d.alpha && p.beta === d.beta && p.peers === d.peers &&
    p.maxStates === d.maxStates && p.maxHops === DEFAULT_MAX_HOPS
  return originalOnly
    ? `LearningScheduler(${p.taskTypes})`
    : `Learning(taskTypes=${p.taskTypes}, epsilon=${p.epsilon}, alpha=${p.alpha}, beta=${p.beta}, peers=${p.peers}, maxStates=${p.maxStates}, maxHops=${p.maxHops})`
}

export interface LearningInit {
  /** Decisions kept while their calls run; default MAX_PENDING. */
  maxPending?: number
}

/** One instance's working parts, shared by its decide, observe and learner. */
interface Parts {
  p: Required<LearningParams>
  names: string[]
  shape: TableShape
  agent: Agent
  transitions: Transitions
  counts: { decisions: number, explored: number, rewards: number, rewardSum: number, untyped: number }
  watchers: Set<() => void>
}

/**
 * The original's LearningScheduler, learning inside the node: a differential SARSA agent
 * (agent.ts) choosing among reject, run here, probe one peer, or hand the call to peer i, from a
 * coarse state (state.ts), rewarded 1 for each call this node decided that ended within its task
 * type's deadline (observe), with rewards matched to decisions as transitions.ts explains.
 * Pure but for the table it learns, which lives in the instance: the node keeps it across restarts
 * (table-store.ts, keeper.ts) through `learner`.
 */
export function createLearning (params: LearningParams = {}, init: LearningInit = {}): LearningPolicy {
  const p = checked(params)
  const names = actionNames(p.peers)
  const agent = createAgent({ alpha: p.alpha, beta: p.beta, epsilon: p.epsilon, actions: names.length, maxStates: p.maxStates })
  const parts: Parts = {
    p,
    names,
    shape: Object.freeze({ encoding: STATE_ENCODING, taskTypes: p.taskTypes, actions: names }),
    agent,
    transitions: createTransitions(agent, Math.max(2, init.maxPending ?? MAX_PENDING)),
    counts: { decisions: 0, explored: 0, rewards: 0, rewardSum: 0, untyped: 0 },
    watchers: new Set()
  }
  return Object.freeze({
    name: LEARNING,
    label: labelOf(p),
    maxHops: p.maxHops,
    parameters: Object.freeze({ ...p }),
    learner: learnerFor(parts),
    decide: (req, local, candidates, rng) => decideWith(parts, req, local, candidates, rng),
    afterProbe: (req, local, probed, rng) => afterProbe(local, probed, rng, () => {
      // Nobody less loaded: run here or refuse, whichever the table rates higher in the call's state.
      const state = req.callId === undefined ? undefined : parts.transitions.stateOf(req.callId)
      return state === undefined ? LOCAL : agent.greedy(state, [LOCAL, REJECT])
    }),
    observe: outcome => { observeWith(parts, outcome) }
  } satisfies LearningPolicy)
}

function decideWith ({ p, names, agent, transitions, counts }: Parts, req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision {
  const type = typeIndex(req.taskType, p.taskTypes)
  if (!type.covered) counts.untyped++
  const state = stateKey(type.index, loadPerType(req, local, p.taskTypes), roomHere(local), roomAtPeers(candidates))
  const ordered = [...candidates].sort(byPeerId)
  const { action, explored } = agent.choose(state, validActions(p.peers, ordered.length), rng)
  counts.decisions++
  if (explored) counts.explored++
  if (req.callId !== undefined) transitions.decided(req.callId, state, action)
  const reason = `${explored ? 'exploring' : 'learnt'}: ${names[action]} in state ${state}`
  if (action === REJECT) return { action: 'reject', reason }
  if (action === LOCAL) return { action: 'local', reason }
  if (action === PROBE) return { action: 'probe', peers: [pickOne(ordered, rng).peerId], reason }
  return { action: 'forward', peers: [(ordered[action - FIRST_PEER] as Candidate).peerId], reason }
}

function observeWith ({ transitions, counts, watchers }: Parts, outcome: CallOutcome): void {
  if (outcome.callId === undefined) return
  // A shared rule overrode the decision (the function is not deployed here): not the agent's doing.
  if (!outcome.byPolicy) { transitions.forget(outcome.callId); return }
  const reward = rewardOf(outcome)
  if (!transitions.rewarded(outcome.callId, reward)) return
  counts.rewards++
  counts.rewardSum += reward
  for (const w of watchers) w()
}

function learnerFor ({ p, shape, agent, transitions, counts, watchers }: Parts): Learner {
  return {
    shape,
    stats: () => ({
      taskTypes: p.taskTypes,
      epsilon: p.epsilon,
      alpha: p.alpha,
      beta: p.beta,
      states: agent.size,
      averageReward: agent.averageReward,
      updates: agent.updates,
      ...counts,
      explorationShare: counts.decisions > 0 ? counts.explored / counts.decisions : 0,
      rewardRate: counts.rewards > 0 ? counts.rewardSum / counts.rewards : 0,
      pending: transitions.pending,
      dropped: transitions.dropped,
      unmatched: transitions.unmatched,
      tableFull: agent.tableFull
    }),
    exportTable: () => ({ shape: { ...shape, actions: [...shape.actions] }, ...agent.exportValues() }),
    importTable (table) {
      const mismatch = shapeMismatch(table.shape, shape)
      if (mismatch === undefined) agent.importValues(table)
      return mismatch
    },
    reset () {
      agent.reset()
      transitions.clear()
    },
    watch (onUpdate) {
      watchers.add(onUpdate)
      return () => { watchers.delete(onUpdate) }
    }
  }
}

/** The probed peer when it is less loaded (per slot) than this node; otherwise `fallback` decides. */
function afterProbe (local: LocalLoad, probed: readonly ProbeResult[], rng: Rng, fallback: () => number): Decision {
  const ours = normalisedLoad(local)
  const lower = probed.filter(p => p.load !== undefined && normalisedLoad(p.load) < ours)
  if (lower.length > 0) return { action: 'forward', peers: [pickOne(lower, rng).peerId], reason: 'probed: less loaded than here' }
  const failed = probed.filter(p => p.load === undefined).length
  const why = `probed: none less loaded than here (${failed} of ${probed.length} probes failed)`
  return fallback() === REJECT ? { action: 'reject', reason: `${why}; learnt to refuse` } : { action: 'local', reason: why }
}

function shapeMismatch (stored: TableShape, ours: TableShape): string | undefined {
  if (stored.encoding !== ours.encoding) return `its states are encoded as ${stored.encoding}, this version's as ${ours.encoding}`
  if (stored.taskTypes !== ours.taskTypes) return `it was learnt with taskTypes=${stored.taskTypes}, the policy in force has ${ours.taskTypes}`
  if (stored.actions.join(',') !== ours.actions.join(',')) return `it was learnt with peers=${stored.actions.length - FIRST_PEER}, the policy in force has ${ours.actions.length - FIRST_PEER}`
  return undefined
}

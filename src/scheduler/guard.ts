import { shown } from './errors.js'
import { createLeastLoaded } from './least-loaded.js'
import type { Candidate, Decision, Policy, ProbeResult } from './types.js'

export type PolicyFailureKind = 'threw' | 'invalid'
export type PolicyStep = 'decide' | 'afterProbe' | 'observe'

/** A policy that threw, or answered something the node cannot carry out. */
export interface PolicyFailure {
  policy: string
  kind: PolicyFailureKind
  step: PolicyStep
  /** The error's message, or what was wrong with the decision. */
  message: string
}

export interface GuardInit {
  /** Decides when the policy cannot; default: a new least-loaded (the built-in default). */
  fallback?: Policy
  /** Told of every failure; must not throw (if it does, the throw is dropped). */
  onFailure: (failure: PolicyFailure) => void
}

/** A reason ends up in logs and error messages: long enough for a sentence, not for a dump. */
export const MAX_REASON_CHARS = 256
const MAX_ERROR_CHARS = 200
const ACTIONS: ReadonlySet<string> = new Set(['local', 'forward', 'reject', 'probe'])

/**
 * Why `value` is not a decision the node can carry out with these candidates, or undefined when it
 * is one. Stricter than the shared rules' check (which drops duplicates): a plugin answering those
 * has a bug its author wants to hear about.
 */
export function invalidDecision (value: unknown, candidates: readonly string[], canProbe: boolean): string | undefined {
  if (typeof value !== 'object' || value === null) return `not a decision object (got ${shown(value)})`
  const d = value as Record<string, unknown>
  if (typeof d.action !== 'string' || !ACTIONS.has(d.action)) return `action must be local, forward, reject or probe (got ${shown(d.action)})`
  if (typeof d.reason !== 'string') return `reason must be a string (got ${shown(d.reason)})`
  if (d.reason.length > MAX_REASON_CHARS) return `reason is ${d.reason.length} characters, more than ${MAX_REASON_CHARS}`
  if (d.action === 'probe' && !canProbe) return 'probe is only allowed from decide() of a policy that has afterProbe()'
  if (d.action !== 'forward' && d.action !== 'probe') return undefined
  if (d.action === 'forward' && d.ifRefused !== undefined && d.ifRefused !== 'local' && d.ifRefused !== 'reject') {
    return `ifRefused must be "local" or "reject" (got ${shown(d.ifRefused)})`
  }
  if (!Array.isArray(d.peers) || d.peers.length === 0) return `${d.action} needs a non-empty peers array (got ${shown(d.peers)})`
  const allowed = new Set(candidates)
  const seen = new Set<unknown>()
  for (const peer of d.peers as unknown[]) {
    if (typeof peer !== 'string' || !allowed.has(peer)) return `peer ${shown(peer)} is not among the ${candidates.length} candidates given`
    if (seen.has(peer)) return `peer ${peer} is named twice`
    seen.add(peer)
  }
  return undefined
}

/** A fresh copy: the policy cannot change a decision after it was checked. */
function copyOf (d: Decision): Decision {
  if (d.action === 'forward') return { action: d.action, peers: [...d.peers], reason: d.reason, ...(d.ifRefused === undefined ? {} : { ifRefused: d.ifRefused }) }
  return d.action === 'probe'
    ? { action: d.action, peers: [...d.peers], reason: d.reason }
    : { action: d.action, reason: d.reason }
}

function errorText (err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `thrown ${shown(err)}`
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text
}

/** What the probes told, as candidates the fallback can decide from; failed probes are left out. */
function answered (probed: readonly ProbeResult[]): Candidate[] {
  return probed.flatMap(p => p.load === undefined ? [] : [{ peerId: p.peerId, ...p.load, ageMs: 0 }])
}

const peerIds = (peers: ReadonlyArray<{ peerId: string }>): string[] => peers.map(p => p.peerId)

/**
 * A policy that never loses a call: a throw from `decide` or `afterProbe`, or an answer the node
 * cannot carry out, is reported to `onFailure` and the call is decided by the fallback instead; a
 * throw from `observe` is reported and dropped. For code the node does not own (plugins): a bug
 * there costs its author a metric and a log line, never a client its answer. It cannot stop a
 * `decide` that never returns; nothing in one thread can.
 */
export function guardPolicy (policy: Policy, init: GuardInit): Policy {
  const fallback = init.fallback ?? createLeastLoaded()
  const fail = (kind: PolicyFailureKind, step: PolicyStep, message: string): void => {
    try { init.onFailure({ policy: policy.name, kind, step, message }) } catch {}
  }
  const attempt = (step: PolicyStep, run: () => unknown, allowed: readonly string[], canProbe: boolean, otherwise: () => Decision): Decision => {
    const instead = (kind: PolicyFailureKind, message: string): Decision => {
      fail(kind, step, message)
      const d = otherwise()
      return { ...d, reason: `${policy.name} failed, default policy: ${d.reason}` }
    }
    let value: unknown
    try { value = run() } catch (err) { return instead('threw', errorText(err)) }
    try {
      const problem = invalidDecision(value, allowed, canProbe)
      return problem === undefined ? copyOf(value as Decision) : instead('invalid', problem)
    } catch (err) {
      // A getter on the answer that throws: the answer is what is wrong.
      return instead('invalid', errorText(err))
    }
  }
  const inner = policy
  return Object.freeze({
    name: inner.name,
    label: inner.label,
    maxHops: inner.maxHops,
    parameters: inner.parameters,
    decide: (req, local, candidates, rng) => attempt('decide', () => inner.decide(req, local, candidates, rng),
      peerIds(candidates), inner.afterProbe !== undefined, () => fallback.decide(req, local, candidates, rng)),
    ...(inner.afterProbe === undefined
      ? {}
      : {
          afterProbe: (req, local, probed, rng) => attempt('afterProbe', () => inner.afterProbe?.(req, local, probed, rng),
            peerIds(probed), false, () => fallback.decide(req, local, answered(probed), rng))
        } satisfies Pick<Policy, 'afterProbe'>),
    // Only when the policy has one: the invoke service builds outcomes only for policies that listen.
    ...(inner.observe === undefined
      ? {}
      : {
          observe: outcome => {
            try { inner.observe?.(outcome) } catch (err) { fail('threw', 'observe', errorText(err)) }
          }
        } satisfies Pick<Policy, 'observe'>)
  } satisfies Policy)
}

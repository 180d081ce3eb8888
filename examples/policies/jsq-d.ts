/**
 * JSQ(d): join the shortest queue among d candidates drawn at random, this node included.
 *
 * A worked example of a P2PFaaS policy plugin (docs/writing-a-policy.md walks through it). It
 * imports types only, so the compiled file has no import at all and loads from anywhere:
 *
 *   npm run build
 *   p2pfaas node --policy-module dist/examples/policies/jsq-d.js --policy jsq-d:d=3
 *
 * "Queue" here is what a new call would find at a node: a negative length is free slots (the call
 * starts at once), a positive one is calls waiting for a slot. Sampling d rather than scanning
 * everyone is what keeps nodes reading the same slightly stale view from all choosing one peer.
 */
import type { Candidate, Decision, LocalLoad, PolicyPlugin, Rng } from 'p2pfaas/scheduler'

const DEFAULT_D = 2

/** Calls ahead of a new one (free slots count negative); a node without the function never wins. */
function queueLength (load: { running: number, queued: number, capacity: number }): number {
  return load.capacity > 0 ? load.running + load.queued - load.capacity : Number.POSITIVE_INFINITY
}

/** k distinct candidates, uniformly, from the rng only (a partial Fisher-Yates shuffle of a copy). */
function sample (items: readonly Candidate[], k: number, rng: Rng): Candidate[] {
  const pool = [...items]
  const take = Math.min(k, pool.length)
  for (let i = 0; i < take; i++) {
    const j = i + Math.min(Math.floor(rng() * (pool.length - i)), pool.length - i - 1)
    const picked = pool[j]!
    pool[j] = pool[i]!
    pool[i] = picked
  }
  return pool.slice(0, take)
}

function decide (d: number, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision {
  const here = queueLength(local)
  const sampled = sample(candidates, d, rng)
  const shortest = Math.min(...sampled.map(queueLength))
  // This node wins ties: staying costs no hand-off.
  if (here <= shortest) return { action: 'local', reason: `the shortest queue of ${sampled.length + 1} (${here} here)` }
  const best = sampled.filter(c => queueLength(c) === shortest)
  const winner = best[Math.min(Math.floor(rng() * best.length), best.length - 1)]!
  // Fallbacks, tried if the winner refuses: the other sampled peers still shorter than here.
  const fallbacks = sampled.filter(c => c !== winner && queueLength(c) < here).sort((a, b) => queueLength(a) - queueLength(b))
  return { action: 'forward', peers: [winner, ...fallbacks].map(c => c.peerId), reason: `shortest queue of ${sampled.length} sampled (${shortest} vs ${here} here)` }
}

const jsqD: PolicyPlugin = {
  name: 'jsq-d',
  about: 'join the shortest queue of d random candidates and this node',
  parameters: {
    d: { kind: 'int', min: 1, max: 16, about: 'candidates sampled per call' }
  },
  create (params) {
    // Values arrive checked against the spec above; only the default is ours to fill in.
    const d = typeof params.d === 'number' ? params.d : DEFAULT_D
    return {
      parameters: { d },
      label: `JSQ(d=${d})`,
      decide: (_req, local, candidates, rng) => decide(d, local, candidates, rng)
    }
  }
}

export default jsqD

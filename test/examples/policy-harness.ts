import { expect } from 'vitest'
import { createPolicyCatalog } from '../../src/scheduler/catalog.js'
import { invalidDecision, type PolicyFailure } from '../../src/scheduler/guard.js'
import { loadPolicyModule } from '../../src/scheduler/plugin-load.js'
import { decide } from '../../src/scheduler/rules.js'
import { cand, here, req } from '../scheduler/fixtures.js'
import type { PolicyCatalog } from '../../src/scheduler/catalog.js'
import type { Candidate, Decision, LocalLoad, Rng } from '../../src/scheduler/types.js'

/** An example policy loaded as the node loads it: the real loader, then a catalog (which guards it). */
export async function loadExample (file: string): Promise<{ catalog: PolicyCatalog, failures: PolicyFailure[] }> {
  const plugin = await loadPolicyModule(file)
  const failures: PolicyFailure[] = []
  return { catalog: createPolicyCatalog({ plugins: [plugin], onFailure: f => { failures.push(f) } }), failures }
}

/** A random view: this node's load and 0 to 8 candidates, some without the function's slots known as free. */
export function randomView (rng: Rng): { local: LocalLoad, candidates: Candidate[] } {
  const n = Math.floor(rng() * 9)
  const candidates = Array.from({ length: n }, (_, i) =>
    cand(`P${i}`, Math.floor(rng() * 5), Math.floor(rng() * 4), 1 + Math.floor(rng() * 4), Math.floor(rng() * 6000)))
  return { local: here(Math.floor(rng() * 5), Math.floor(rng() * 5), Math.floor(rng() * 5), 4), candidates }
}

/** The example's decisions over many random views: each one the guard would pass, none a failure. */
export function expectAlwaysValid (decideFn: (local: LocalLoad, candidates: Candidate[], rng: Rng) => Decision, rng: Rng, rounds = 500): void {
  for (let i = 0; i < rounds; i++) {
    const { local, candidates } = randomView(rng)
    if (candidates.length === 0) continue
    const d = decideFn(local, candidates, rng)
    expect(invalidDecision(d, candidates.map(c => c.peerId), false)).toBeUndefined()
  }
}

/** Through the shared rules, as the invoke service calls a policy. */
export function viaRules (catalog: PolicyCatalog, spec: string, rng: Rng, rounds = 500): Decision[] {
  const policy = catalog.parse(spec)
  const out: Decision[] = []
  for (let i = 0; i < rounds; i++) {
    const { local, candidates } = randomView(rng)
    out.push(decide(policy, req(), local, candidates, rng))
  }
  return out
}

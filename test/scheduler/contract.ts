import { describe, expect, it } from 'vitest'
import { afterProbe, decide } from '../../src/scheduler/rules.js'
import type { Candidate, Decision, Policy, ProbeResult, Rng } from '../../src/scheduler/types.js'
import { cand, chosen, here, peersOf, req } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

/** A decision through the shared rules, following a probe with random answers (some failed). */
export function run (policy: Policy, request = req(), local = here(4, 2), candidates: readonly Candidate[] = [], rng: Rng = mulberry32(1)): Decision {
  const d = decide(policy, request, local, candidates, rng)
  if (d.action !== 'probe') return d
  const answers: ProbeResult[] = d.peers.map(peerId => rng() < 0.2
    ? { peerId }
    : { peerId, load: { running: Math.floor(rng() * 5), queued: Math.floor(rng() * 3), capacity: 4 } })
  return afterProbe(policy, request, local, answers, rng)
}

function randomView (rng: Rng): { candidates: Candidate[], path: string[] } {
  const n = Math.floor(rng() * 7)
  const candidates = Array.from({ length: n }, (_, i) =>
    cand(`P${i}`, Math.floor(rng() * 5), Math.floor(rng() * 3), 1 + Math.floor(rng() * 4), Math.floor(rng() * 6000)))
  // Some path entries are candidates (the caller forgot to filter), some are not.
  const path = candidates.filter(() => rng() < 0.2).map(c => c.peerId).concat(rng() < 0.5 ? ['origin'] : [])
  return { candidates, path }
}

/**
 * The rules every policy shares, checked against one policy. `make` builds it with maxHops 1 and
 * default parameters; `lossy`, when the policy has a loss mode, builds it with loss=true.
 */
export function sharedRules (make: () => Policy, lossy?: () => Policy): void {
  describe('shared rules', () => {
    const idle = [cand('A', 0), cand('B', 0)]

    it('runs a call at its hop limit here', () => {
      for (const s of seeds(50)) expect(run(make(), req({ hops: 1, path: ['X'] }), here(4, 4), idle, mulberry32(s)).action).toBe('local')
    })

    it('runs here when there is no candidate', () => {
      expect(run(make(), req(), here(4, 4), []).action).toBe('local')
      expect(run(make(), req(), here(0), []).action).toBe('local')
    })

    it('runs a bypassed call here, even when forwarding is forced too', () => {
      expect(run(make(), req({ bypass: true, forceForward: true }), here(4, 4), idle)).toEqual({ action: 'local', reason: 'bypass requested' })
    })

    it('forwards a forced call to a random candidate, any of them', () => {
      const firsts = new Set(seeds(100).map(s => chosen(run(make(), req({ forceForward: true }), here(0), idle, mulberry32(s)))))
      expect(firsts).toEqual(new Set(['A', 'B']))
    })

    it('never picks a peer on the path, even if the caller left it in', () => {
      for (const s of seeds(100)) {
        const d = run(make(), req({ path: ['A'] }), here(4, 4), [cand('A', 0), cand('B', 3, 0, 4)], mulberry32(s))
        expect(peersOf(d)).not.toContain('A')
      }
      expect(run(make(), req({ path: ['A', 'B'], forceForward: true }), here(4, 4), idle).action).toBe('local')
    })

    it('names only candidates, never a peer without the function, over random views', () => {
      for (const s of seeds(400)) {
        const rng = mulberry32(s)
        const { candidates, path } = randomView(rng)
        const request = req({ hops: Math.floor(rng() * 2), path, forceForward: rng() < 0.1 })
        const d = run(make(), request, here(Math.floor(rng() * 5), Math.floor(rng() * 3)), candidates, rng)
        const allowed = candidates.map(c => c.peerId).filter(id => !path.includes(id))
        for (const id of peersOf(d)) expect(allowed).toContain(id)
        expect(new Set(peersOf(d)).size).toBe(peersOf(d).length)
        if (d.action === 'forward') expect(d.peers.length).toBeGreaterThan(0)
      }
    })

    if (lossy === undefined) {
      it('has no loss mode: never rejects, even full at the hop limit', () => {
        expect(run(make(), req({ hops: 1 }), here(4, 4), idle).action).toBe('local')
        expect(run(make(), req(), here(4, 4), []).action).toBe('local')
      })
    } else {
      it('in loss mode rejects a call that must run here with no free slot', () => {
        expect(run(lossy(), req({ hops: 1 }), here(4, 0), idle).action).toBe('reject')
        expect(run(lossy(), req(), here(4, 0), []).action).toBe('reject')
        expect(run(lossy(), req({ hops: 1 }), here(3, 0), idle).action).toBe('local')
        expect(run(lossy(), req({ bypass: true }), here(4, 0), idle).action).toBe('local')
      })
    }
  })
}

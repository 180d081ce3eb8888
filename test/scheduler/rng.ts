import type { Rng } from '../../src/scheduler/types.js'

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1); the same seed replays the same decisions. */
export function mulberry32 (seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Seeds 1..n, for "over many seeds" checks. */
export function seeds (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}

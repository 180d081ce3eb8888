import { seededRng } from '../../src/scheduler/seeded.js'

/** The node's own seeded PRNG (mulberry32): the same seed replays the same decisions. */
export const mulberry32 = seededRng

/** Seeds 1..n, for "over many seeds" checks. */
export function seeds (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}

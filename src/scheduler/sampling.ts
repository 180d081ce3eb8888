import type { Rng } from './types.js'

/**
 * Random choices from the injected rng only, so a seeded rng replays every decision. The index is
 * clamped because a careless rng may return exactly 1.
 */
export function pickIndex (n: number, rng: Rng): number {
  const i = Math.floor(rng() * n)
  return Math.min(Math.max(i, 0), n - 1)
}

/** k distinct items, uniformly (a partial Fisher–Yates shuffle of a copy), in the order drawn. */
export function sampleDistinct<T> (items: readonly T[], k: number, rng: Rng): T[] {
  const pool = [...items]
  const take = Math.min(Math.max(k, 0), pool.length)
  for (let i = 0; i < take; i++) {
    const j = i + pickIndex(pool.length - i, rng)
    const picked = pool[j] as T
    pool[j] = pool[i] as T
    pool[i] = picked
  }
  return pool.slice(0, take)
}

/** A uniformly random order of all items. */
export function shuffled<T> (items: readonly T[], rng: Rng): T[] {
  return sampleDistinct(items, items.length, rng)
}

/** One item, uniformly; the list must not be empty. */
export function pickOne<T> (items: readonly T[], rng: Rng): T {
  if (items.length === 0) throw new Error('pickOne: no items to pick from')
  return items[pickIndex(items.length, rng)] as T
}

/**
 * One item, uniformly among those whose key is within `margin` of the smallest key: margin 0 is
 * "least, ties broken at random"; a positive margin spreads choices over the near-least, so many
 * nodes reading the same slightly stale view do not all pile onto one peer.
 */
export function pickNearLeast<T> (items: readonly T[], key: (item: T) => number, margin: number, rng: Rng): T {
  const min = Math.min(...items.map(key))
  return pickOne(items.filter(item => key(item) <= min + margin), rng)
}

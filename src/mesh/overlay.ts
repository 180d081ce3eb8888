/**
 * Whom to dial, as a pure function of what the node knows: the overlay's policy, kept apart from
 * the I/O so it can be read and tested on its own.
 */

/** Link dials in flight at once: a node joining a big mesh does not open dozens of connections together. */
export const MAX_PARALLEL_DIALS = 4
/**
 * Redials of unreachable members per heartbeat across everyone a node can reach: each node tries
 * with probability REDIALS / reachable, so after a partition each side makes about this many
 * attempts a heartbeat in all, whatever its size, and finds the other side in a heartbeat or two.
 */
export const REDIALS_PER_HEARTBEAT = 4

export interface OverlayState {
  /** Live overlay links and dials in flight. */
  links: number
  /** Of the live links, those this node opened. */
  outbound: number
  pending: number
  /**
   * The degree a node aims at. It opens half of it itself (ownLinks) and gets the rest from nodes that open
   * theirs to it: were every node to open the whole target, the mean degree would be twice the
   * target, every member would sit at its maximum, and each link a joiner opens would make a member
   * give another back (two more record versions per link for every member to check).
   */
  targetLinks: number
  /** Reachable members, this node excluded. */
  reachable: readonly string[]
  /** Members not reachable now but heard of lately (dead, partitioned, or not linked yet). */
  unreachable: readonly string[]
  /**
   * Of those, the ones this node once reached (dead or partitioned away): the only ones worth a
   * redial. A newcomer's record that came with a sync is not: it links in itself.
   */
  lost: readonly string[]
  /** Reachable members, this node included. */
  reachableCount: number
  /** Already in a session, being dialled, backing off or banned. */
  busy: (peer: string) => boolean
  /** How many links a member's record lists. */
  linksOf: (peer: string) => number
  /** The most links a member keeps before it gives one back (this node's own maximum, taken as everyone's). */
  maxLinks: number
  /**
   * Members to link to before any other, when free: a joiner's neighbours in the ring. It needs
   * links to them anyway (ring.ts), and as part of its share they cost no link beyond it; taken
   * after it, each is one more version of two records that every member must check.
   */
  first?: readonly string[]
}

export interface DialPlan {
  /** Members to open a link to. */
  links: string[]
  /** One unreachable member to try, in case a partition has healed. */
  redial?: string
}

export function chooseDials (s: OverlayState, rng: () => number): DialPlan {
  // A node cut off (no link left, members it once reached lost: a partition, or its neighbours
  // died) tries as many members at once as it may dial, not just its share: a dial to a member
  // across the partition hangs until its timeout, and a node whose two picks were both over there
  // stayed cut off from its own side for those seconds. A joiner has lost nobody: its share.
  const cutOff = s.links === 0 && s.lost.length > 0
  const own = ownLinks(s.targetLinks) - s.outbound
  const want = cutOff
    ? MAX_PARALLEL_DIALS - s.pending
    : Math.min(s.targetLinks - s.links - s.pending, own - s.pending, MAX_PARALLEL_DIALS - s.pending)
  let links: string[] = []
  if (want > 0) {
    // Reachable members first (the mesh is there, this node just needs more neighbours); with
    // nobody reachable, anyone the table remembers (a node that has only synced with a seed).
    const first = (s.first ?? []).filter(p => !s.busy(p)).slice(0, want)
    let pool = s.reachable.filter(p => !s.busy(p) && !first.includes(p))
    if (pool.length === 0) pool = s.unreachable.filter(p => !s.busy(p) && !first.includes(p))
    links = [...first, ...sampleRoomyFirst(pool, want - first.length, s, rng)]
  }
  let redial: string | undefined
  if (s.links > 0 && s.lost.length > 0 && rng() < Math.min(1, REDIALS_PER_HEARTBEAT / Math.max(1, s.reachableCount))) {
    const pool = s.lost.filter(p => !s.busy(p) && !links.includes(p))
    if (pool.length > 0) redial = pool[Math.floor(rng() * pool.length)]
  }
  return { links, redial }
}

/** How many links a node opens itself for a target degree: half, and at least two (or the target), so one lost link never leaves it hanging by the other alone. */
export function ownLinks (targetLinks: number): number {
  return Math.min(targetLinks, Math.max(2, Math.ceil(targetLinks / 2)))
}

/**
 * Up to k members at random, those with room below the maximum first, then any. A full member
 * still takes a link from a node below the target, but then gives one back: two more versions of
 * two records that every member must check, for nothing. (Preferring members below the *target*
 * instead herds every dialler onto the newest members, which then overflow.)
 */
function sampleRoomyFirst (pool: readonly string[], k: number, s: OverlayState, rng: () => number): string[] {
  const { linksOf, maxLinks } = s
  const roomy: string[] = []
  const full: string[] = []
  for (const p of pool) (linksOf(p) < maxLinks ? roomy : full).push(p)
  const out = sample(roomy, k, rng)
  return out.length < k ? [...out, ...sample(full, k - out.length, rng)] : out
}

/** Up to k distinct elements, uniformly. */
function sample<T> (items: readonly T[], k: number, rng: () => number): T[] {
  const a = [...items]
  const n = Math.min(k, a.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (a.length - i))
    const t = a[i]!; a[i] = a[j]!; a[j] = t
  }
  return a.slice(0, n)
}

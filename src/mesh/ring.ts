/**
 * The ring of watched links, as a pure function of the member table. Every member knows every
 * other, so all agree on one order of them (by PeerId). Once each member is linked to the next
 * one in that order, a node need not watch every link: it pulses its successor every heartbeat and
 * watches only its predecessor. Every member is then watched by one neighbour, every cut of the
 * mesh is crossed by ring links both ways, and an idle node sends one frame a second whatever its
 * links (protocols/load.md, "A ring of watched links").
 */

/** A member as the ring needs it: who it is and whom its record lists as linked. */
export interface RingMember {
  peerId: string
  links: readonly string[]
}

export interface RingPlace {
  /** The member before this node in PeerId order (wrapping): this node watches its link. */
  pred?: string
  /** The member after it: this node pulses its link every heartbeat. */
  succ?: string
}

export interface RingState extends RingPlace {
  /**
   * Every member is linked to its successor, both ends listing the link: the ring carries the
   * mesh's liveness, and the other links may stay silent.
   */
  complete: boolean
}

/**
 * Below this many members (this node included) watching every link costs no more than the ring:
 * with 3 members each node has 2 links, one round trip every 2 heartbeats each, as a ring pulse
 * a heartbeat.
 */
export const RING_MIN_MEMBERS = 4

const compare = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/** This node's neighbours in the ring of `members` (PeerIds, this node among them or not). */
export function ringPlace (self: string, members: Iterable<string>): RingPlace {
  const order = [...new Set([...members, self])].sort(compare)
  if (order.length < 2) return {}
  const i = order.indexOf(self)
  return { pred: order[(i - 1 + order.length) % order.length], succ: order[(i + 1) % order.length] }
}

/**
 * The ring over `members` (the reachable ones, this node included): its place in it, and whether
 * every consecutive pair is linked both ways. O(members x links).
 */
export function ringState (self: string, members: readonly RingMember[]): RingState {
  const place = ringPlace(self, members.map(m => m.peerId))
  const order = [...members].sort((a, b) => compare(a.peerId, b.peerId))
  let complete = order.length >= RING_MIN_MEMBERS && order.some(m => m.peerId === self)
  for (let i = 0; complete && i < order.length; i++) {
    const a = order[i]!
    const b = order[(i + 1) % order.length]!
    complete = a.links.includes(b.peerId) && b.links.includes(a.peerId)
  }
  return { ...place, complete }
}

/**
 * Whether the ring `before` (complete then) lost something in `now`: one of its members is gone,
 * or two consecutive members both still there no longer list each other. Members that joined
 * between them are not a loss.
 */
export function ringLost (before: readonly RingMember[], now: readonly RingMember[]): boolean {
  const links = new Map(now.map(m => [m.peerId, m.links]))
  const order = [...before].sort((a, b) => compare(a.peerId, b.peerId))
  for (let i = 0; i < order.length; i++) {
    const a = order[i]!.peerId
    const b = order[(i + 1) % order.length]!.peerId
    const la = links.get(a)
    const lb = links.get(b)
    if (la == null || lb == null || !la.includes(b) || !lb.includes(a)) return true
  }
  return false
}

/**
 * While the ring over `now` is incomplete: this node's place in the last complete ring `before`,
 * if that ring lost nothing since (members only joined) and this node was in it. Its members then
 * go on watching each other through it, and only links to newcomers need watching one by one.
 */
export function standingRing (self: string, before: readonly RingMember[], now: readonly RingMember[]): (Required<RingPlace> & { members: ReadonlySet<string> }) | undefined {
  const ids = before.map(m => m.peerId)
  if (ids.length < RING_MIN_MEMBERS || !ids.includes(self) || ringLost(before, now)) return undefined
  const { pred, succ } = ringPlace(self, ids)
  return pred != null && succ != null ? { pred, succ, members: new Set(ids) } : undefined
}

import type { FunctionSlots, MemberInfo } from './record.js'

/**
 * What one version of a member's self-description changed against another: the membership keeper
 * decides by it whether a version needs sealing at all (this node's own) and how urgently to pass
 * one on (another member's).
 */

/** `next` differs from `prev` only by links it adds (the same run of the node, nothing dropped). */
export function onlyLinksAdded (prev: MemberInfo, next: MemberInfo): boolean {
  return prev.incarnation === next.incarnation && prev.leaving === next.leaving && !next.leaving &&
    sameList(prev.addrs, next.addrs) && next.links.length > prev.links.length && prev.links.every(l => next.links.includes(l)) &&
    prev.functions.length === next.functions.length && prev.functions.every((f, i) => sameSlots(f, next.functions[i]))
}

/** Nothing a member says of itself differs, its version number aside. */
export function sameInfo (a: MemberInfo, b: MemberInfo): boolean {
  return a.incarnation === b.incarnation && a.leaving === b.leaving &&
    sameList(a.addrs, b.addrs) && sameList(a.links, b.links) &&
    a.functions.length === b.functions.length && a.functions.every((f, i) => sameSlots(f, b.functions[i]))
}

/** Why a node signs a new version of its own record: what differs from its last version (often several things). */
export type VersionCause = 'start' | 'outranked' | 'leaving' | 'addrs' | 'functions' | 'links_lost' | 'links_gained'

export function versionCauses (prev: MemberInfo | undefined, next: MemberInfo): VersionCause[] {
  if (prev == null) return ['start']
  if (prev.incarnation !== next.incarnation) return ['outranked']
  const causes: VersionCause[] = []
  if (prev.leaving !== next.leaving) causes.push('leaving')
  if (!sameList(prev.addrs, next.addrs)) causes.push('addrs')
  if (prev.functions.length !== next.functions.length || prev.functions.some((f, i) => !sameSlots(f, next.functions[i]))) causes.push('functions')
  if (prev.links.some(l => !next.links.includes(l))) causes.push('links_lost')
  if (next.links.some(l => !prev.links.includes(l))) causes.push('links_gained')
  return causes
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
const sameSlots = (a: FunctionSlots, b: FunctionSlots | undefined): boolean => b != null && a.name === b.name && a.capacity === b.capacity

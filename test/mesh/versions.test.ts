import { describe, expect, it } from 'vitest'
import { onlyLinksAdded, sameInfo, versionCauses } from '../../src/mesh/versions.js'
import type { MemberInfo } from '../../src/mesh/record.js'

const v1: MemberInfo = {
  peerId: 'p', incarnation: 5n, seq: 1n, addrs: ['/ip4/10.0.0.1/tcp/4001'],
  functions: [{ name: 'echo', capacity: 4 }], links: ['a', 'b'], leaving: false
}
const next = (change: Partial<MemberInfo>): MemberInfo => ({ ...v1, seq: 2n, ...change })

describe('what a version changed', () => {
  it('only added links: more links, none dropped, nothing else changed', () => {
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b', 'c'] }))).toBe(true)
    expect(onlyLinksAdded(v1, next({ links: ['c', 'b', 'a'] }))).toBe(true)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b'] }))).toBe(false)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'c', 'd'] }))).toBe(false)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b', 'c'], functions: [{ name: 'echo', capacity: 5 }] }))).toBe(false)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b', 'c'], addrs: ['/ip4/10.0.0.2/tcp/4001'] }))).toBe(false)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b', 'c'], leaving: true }))).toBe(false)
    expect(onlyLinksAdded(v1, next({ links: ['a', 'b', 'c'], incarnation: 6n }))).toBe(false)
  })

  it('the same self-description, whatever the version number', () => {
    expect(sameInfo(v1, next({}))).toBe(true)
    expect(sameInfo(v1, next({ links: ['b', 'a'] }))).toBe(false)
    expect(sameInfo(v1, next({ functions: [] }))).toBe(false)
  })

  it('why a node signed a version: everything that differs from its last one', () => {
    expect(versionCauses(undefined, v1)).toEqual(['start'])
    expect(versionCauses(v1, next({ incarnation: 6n, links: [] }))).toEqual(['outranked'])
    expect(versionCauses(v1, next({ leaving: true, links: [] }))).toEqual(['leaving', 'links_lost'])
    expect(versionCauses(v1, next({ addrs: [] }))).toEqual(['addrs'])
    expect(versionCauses(v1, next({ functions: [{ name: 'echo', capacity: 5 }], links: ['a', 'b', 'c'] }))).toEqual(['functions', 'links_gained'])
    expect(versionCauses(v1, next({ links: ['a', 'c'] }))).toEqual(['links_lost', 'links_gained'])
    expect(versionCauses(v1, next({ links: ['b', 'a', 'c'] }))).toEqual(['links_gained'])
  })
})

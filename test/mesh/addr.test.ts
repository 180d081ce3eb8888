import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { cachedOwnAddrs, isDialable } from '../../src/mesh/addr.js'

describe('own addresses', () => {
  it('are listed at most once per ttl, however often a heard address asks', () => {
    let listings = 0
    let t = 0
    let own = [multiaddr('/ip4/10.0.0.1/tcp/4001')]
    const self = cachedOwnAddrs({ getMultiaddrs: () => { listings++; return own } }, 5000, () => t)
    const stranger = multiaddr('/ip4/127.0.0.1/tcp/4002')
    for (let i = 0; i < 100; i++) expect(isDialable(stranger, self)).toBe(false)
    expect(listings).toBe(1)
    // A node that turns out to have only loopback (tests on one machine) dials loopback, once the listing is due.
    own = [multiaddr('/ip4/127.0.0.1/tcp/4001')]
    t += 4999
    expect(isDialable(stranger, self)).toBe(false)
    t += 1
    expect(isDialable(stranger, self)).toBe(true)
    expect(listings).toBe(2)
    // Another host's LAN address needs no listing at all.
    expect(isDialable(multiaddr('/ip4/10.0.0.9/tcp/4001'), self)).toBe(true)
    expect(listings).toBe(2)
  })
})

import { describe, expect, it } from 'vitest'
import { decodeLinkFrame, frameKinds } from '../../src/mesh/link-session.js'
import { LinkFrame } from '../../src/wire/mesh.js'

const frame = (f: Partial<LinkFrame>): Uint8Array => LinkFrame.encode({ records: [], digest: [], want: [], synced: false, ...f })

describe('link frames', () => {
  it('read digests back as the unsigned values sent, top bit set or not', () => {
    for (const digest of [0x0123456789abcdefn, 0xf51fb9ce12345678n, 2n ** 64n - 1n]) {
      expect(decodeLinkFrame(frame({ pulse: { ping: true, digest } }), { digest: 8, want: 8 }).pulse?.digest).toBe(digest)
      expect(decodeLinkFrame(frame({ hello: { record: new Uint8Array([1]), link: true, digest } }), { digest: 8, want: 8 }).hello?.digest).toBe(digest)
    }
  })

  it('refuse a digest or a want longer than the member table', () => {
    const entries = Array.from({ length: 9 }, (_, i) => ({ peerId: new Uint8Array([i]), incarnation: 1n, seq: 1n }))
    expect(() => decodeLinkFrame(frame({ digest: entries }), { digest: 8, want: 8 })).toThrow(/too many/)
    expect(() => decodeLinkFrame(frame({ want: entries.map(e => e.peerId) }), { digest: 8, want: 8 })).toThrow(/too many/)
  })

  it('are counted by what they carry', () => {
    expect(frameKinds({ pulse: { ping: true, digest: 1n } })).toEqual(['pulse'])
    expect(frameKinds({ records: [new Uint8Array(1)], pulse: { ping: false, digest: 1n, load: { recordSeq: 1n, running: [], queued: [] } } })).toEqual(['load', 'records'])
    expect(frameKinds({ want: [], synced: true })).toEqual(['want'])
  })
})

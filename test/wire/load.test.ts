import { describe, expect, it } from 'vitest'
import { LoadMessage } from '../../src/wire/load.js'

describe('load message codec', () => {
  it('round-trips every field', () => {
    const msg: LoadMessage = {
      version: 1,
      nodeId: new Uint8Array([0, 36, 8, 1, 18, 32, ...new Array(32).fill(7)]),
      incarnation: 1_700_000_000_123n,
      seq: 42n,
      timeMs: 1_700_000_001_000n,
      functions: [
        { name: 'echo', queued: 2, running: 4, capacity: 4 },
        { name: 'face-detect', queued: 0, running: 1, capacity: 3 }
      ],
      totals: { queued: 2, running: 5, capacity: 7 }
    }
    const bytes = LoadMessage.encode(msg)
    expect(LoadMessage.decode(bytes)).toEqual(msg)
  })

  it('round-trips an empty load (what a node with no functions sends)', () => {
    const msg: LoadMessage = { version: 1, nodeId: new Uint8Array([1, 2]), incarnation: 1n, seq: 1n, timeMs: 5n, functions: [], totals: { queued: 0, running: 0, capacity: 0 } }
    const decoded = LoadMessage.decode(LoadMessage.encode(msg))
    expect(decoded.functions).toEqual([])
    expect(decoded.seq).toBe(1n)
    expect(decoded.totals).toEqual({ queued: 0, running: 0, capacity: 0 })
  })

  it('refuses more functions than the schema allows', () => {
    const functions = Array.from({ length: 257 }, (_, i) => ({ name: `f${i}`, queued: 0, running: 0, capacity: 1 }))
    const bytes = LoadMessage.encode({ version: 1, nodeId: new Uint8Array(), incarnation: 1n, seq: 1n, timeMs: 1n, functions })
    expect(() => LoadMessage.decode(bytes)).toThrow(/too many elements/)
  })
})

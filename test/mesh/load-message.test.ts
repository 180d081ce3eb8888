import { beforeAll, describe, expect, it } from 'vitest'
import { encodeLoadMessage, judgeLoadMessage, LOAD_TOPIC, MAX_LOAD_MESSAGE_BYTES, ReplayGuard, type LoadVerdict } from '../../src/mesh/load-message.js'
import { LoadMessage } from '../../src/wire/load.js'
import { newPeer } from '../helpers/keys.js'
import type { NodeLoad } from '../../src/mesh/load.js'
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const load: NodeLoad = { functions: [{ name: 'echo', queued: 1, running: 2, capacity: 4 }], totals: { queued: 1, running: 2, capacity: 4 } }

let alice: PeerId
let mallory: PeerId
beforeAll(async () => {
  alice = (await newPeer()).peerId
  mallory = (await newPeer()).peerId
})

/** A message as gossipsub hands it to validators after checking its signature. */
function signedBy (from: PeerId, data: Uint8Array): Message {
  return { type: 'signed', from, topic: LOAD_TOPIC, data, sequenceNumber: 1n, signature: new Uint8Array(64), key: from.publicKey! }
}

const msg = (from: PeerId, seq: bigint, incarnation = 100n, nodeId: PeerId = from): Message =>
  signedBy(from, encodeLoadMessage({ nodeId, incarnation, seq, timeMs: Date.now(), load }))

function expectRefused (v: LoadVerdict, result: 'reject' | 'ignore', reason: RegExp): void {
  expect(v.result).toBe(result)
  if (v.result !== 'accept') expect(v.reason).toMatch(reason)
}

describe('judgeLoadMessage', () => {
  it('accepts a well-formed message from its signer and returns the load', () => {
    const v = judgeLoadMessage(msg(alice, 1n), new ReplayGuard())
    expect(v.result).toBe('accept')
    if (v.result === 'accept') {
      expect(v.from.equals(alice)).toBe(true)
      expect(v.load).toEqual(load)
      expect(v.seq).toBe(1n)
    }
  })

  it('rejects oversized messages before decoding them', () => {
    const big = new Uint8Array(MAX_LOAD_MESSAGE_BYTES + 1)
    expectRefused(judgeLoadMessage(signedBy(alice, big), new ReplayGuard()), 'reject', /oversized/)
  })

  it('rejects bytes that are not a load message', () => {
    expectRefused(judgeLoadMessage(signedBy(alice, new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01])), new ReplayGuard()), 'reject', /malformed/)
  })

  it('rejects a message whose node id is not the signer (spoofing)', () => {
    expectRefused(judgeLoadMessage(msg(mallory, 1n, 100n, alice), new ReplayGuard()), 'reject', /spoofed/)
  })

  it('rejects unsigned messages', () => {
    const data = encodeLoadMessage({ nodeId: alice, incarnation: 1n, seq: 1n, timeMs: 0, load })
    expectRefused(judgeLoadMessage({ type: 'unsigned', topic: LOAD_TOPIC, data }, new ReplayGuard()), 'reject', /unsigned/)
  })

  it('rejects unknown versions and bad schema', () => {
    const wrongVersion = LoadMessage.encode({ version: 2, nodeId: alice.toMultihash().bytes, incarnation: 1n, seq: 1n, timeMs: 0n, functions: [], totals: { queued: 0, running: 0, capacity: 0 } })
    expectRefused(judgeLoadMessage(signedBy(alice, wrongVersion), new ReplayGuard()), 'reject', /version/)
    const noTotals = LoadMessage.encode({ version: 1, nodeId: alice.toMultihash().bytes, incarnation: 1n, seq: 1n, timeMs: 0n, functions: [] })
    expectRefused(judgeLoadMessage(signedBy(alice, noTotals), new ReplayGuard()), 'reject', /totals/)
    const badName = LoadMessage.encode({ version: 1, nodeId: alice.toMultihash().bytes, incarnation: 1n, seq: 1n, timeMs: 0n, functions: [{ name: '../etc', queued: 0, running: 0, capacity: 1 }], totals: { queued: 0, running: 0, capacity: 1 } })
    expectRefused(judgeLoadMessage(signedBy(alice, badName), new ReplayGuard()), 'reject', /function name/)
    const dup = LoadMessage.encode({ version: 1, nodeId: alice.toMultihash().bytes, incarnation: 1n, seq: 1n, timeMs: 0n, functions: [{ name: 'a', queued: 0, running: 0, capacity: 1 }, { name: 'a', queued: 0, running: 0, capacity: 1 }], totals: { queued: 0, running: 0, capacity: 1 } })
    expectRefused(judgeLoadMessage(signedBy(alice, dup), new ReplayGuard()), 'reject', /duplicate/)
    const huge = LoadMessage.encode({ version: 1, nodeId: alice.toMultihash().bytes, incarnation: 1n, seq: 1n, timeMs: 0n, functions: [], totals: { queued: 5_000_000, running: 0, capacity: 1 } })
    expectRefused(judgeLoadMessage(signedBy(alice, huge), new ReplayGuard()), 'reject', /range/)
  })

  it('rejects a replayed old sequence, ignores a small reorder, accepts a restart', () => {
    const guard = new ReplayGuard()
    for (let seq = 1n; seq <= 20n; seq++) expect(judgeLoadMessage(msg(alice, seq), guard).result).toBe('accept')
    expectRefused(judgeLoadMessage(msg(alice, 20n), guard), 'ignore', /order/)
    expectRefused(judgeLoadMessage(msg(alice, 18n), guard), 'ignore', /order/)
    expectRefused(judgeLoadMessage(msg(alice, 3n), guard), 'reject', /replayed/)
    // An earlier incarnation of the same node is a replay too.
    expectRefused(judgeLoadMessage(msg(alice, 500n, 99n), guard), 'reject', /replayed/)
    // A restarted node starts a new incarnation at seq 1.
    expect(judgeLoadMessage(msg(alice, 1n, 101n), guard).result).toBe('accept')
    // Other senders have their own sequence.
    expect(judgeLoadMessage(msg(mallory, 1n), guard).result).toBe('accept')
  })

  it('keeps the replay guard bounded', () => {
    const guard = new ReplayGuard(2)
    guard.record('a', 1n, 10n)
    guard.record('b', 1n, 10n)
    guard.record('c', 1n, 10n)
    expect(guard.check('a', 1n, 1n)).toBe('new')
    expect(guard.check('c', 1n, 1n)).toBe('replayed')
  })
})

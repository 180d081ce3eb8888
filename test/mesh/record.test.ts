import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { peekRecord, RecordError, sealRecord, type MemberInfo } from '../../src/mesh/record.js'

async function recordWith (addrs: string[]): Promise<Uint8Array> {
  const key = await generateKeyPair('Ed25519')
  const info: MemberInfo = { peerId: peerIdFromPrivateKey(key).toString(), incarnation: 1n, seq: 1n, addrs, functions: [], links: [], leaving: false }
  return (await sealRecord(info, key)).bytes
}

const problemOf = (bytes: Uint8Array): string | undefined => {
  try {
    peekRecord(bytes)
    return undefined
  } catch (err) {
    return err instanceof RecordError ? err.problem : 'thrown'
  }
}

describe('member record addresses', () => {
  it('takes TCP addresses without /p2p and refuses others, the same way every time it sees them', async () => {
    const good = await recordWith(['/ip4/10.1.2.3/tcp/4001', '/dns4/node-1.local/tcp/4001'])
    const udp = await recordWith(['/ip4/10.1.2.3/udp/4001'])
    const own = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const withP2p = await recordWith([`/ip4/10.1.2.3/tcp/4001/p2p/${own}`])
    // Twice each: the second verdict comes from the address memo, and must be the first's.
    for (let round = 0; round < 2; round++) {
      expect(peekRecord(good).info.addrs).toEqual(['/ip4/10.1.2.3/tcp/4001', '/dns4/node-1.local/tcp/4001'])
      expect(problemOf(udp)).toBe('schema')
      expect(problemOf(withP2p)).toBe('schema')
    }
  })
})

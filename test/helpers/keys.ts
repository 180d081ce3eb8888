import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'

export async function newPeer (): Promise<{ peerId: PeerId, privateKey: Awaited<ReturnType<typeof generateKeyPair>> }> {
  const privateKey = await generateKeyPair('Ed25519')
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey) }
}

import { lpStream } from '@libp2p/utils'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Sends `bytes` as the one request frame of `protocol` and returns the decoded answer: a peer that speaks the bytes, not the client. */
export async function rawFrame (client: Pick<Libp2p, 'dialProtocol'>, peer: PeerId, protocol: string, bytes: Uint8Array): Promise<any> {
  const stream = await client.dialProtocol(peer, protocol)
  const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 })
  await lp.write(bytes)
  return JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
}

export const jsonBytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

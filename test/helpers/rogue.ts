import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { LINK_PROTOCOL, type OutgoingFrame } from '../../src/mesh/link-session.js'
import { sealRecord, type MemberInfo, type SignedRecord } from '../../src/mesh/record.js'
import { LinkFrame } from '../../src/wire/mesh.js'
import { newPeer } from './keys.js'
import type { Mesh } from '../../src/mesh/mesh.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * A peer that speaks the link protocol by hand, to say what an honest node never would: a real
 * libp2p node (Noise, yamux, a P2PFaaS agent string) with one raw link stream to its target.
 */
export interface Rogue {
  libp2p: MeshLibp2p
  peerId: string
  privateKey: PrivateKey
  /** Frames the target sent it. */
  frames: LinkFrame[]
  /** Resolves when the target closes or resets the stream. */
  closed: Promise<void>
  send(frame: OutgoingFrame): Promise<void>
  /** Raw bytes as one length-prefixed frame (for frames no encoder would make). */
  sendRaw(bytes: Uint8Array): Promise<void>
  record(change?: Partial<MemberInfo>): Promise<SignedRecord>
  stop(): Promise<void>
}

export async function startRogue (target: Mesh, opts: { answerPings?: boolean } = {}): Promise<Rogue> {
  const { privateKey, peerId } = await newPeer()
  const libp2p = await createMeshLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], role: 'node' })
  await libp2p.start()
  let seq = 0n
  const incarnation = BigInt(Date.now())
  const record = async (change: Partial<MemberInfo> = {}): Promise<SignedRecord> => await sealRecord({
    peerId: peerId.toString(),
    incarnation,
    seq: ++seq,
    addrs: libp2p.getMultiaddrs().map(a => a.decapsulateCode(421).toString()),
    functions: [],
    links: [],
    leaving: false,
    ...change
  }, privateKey)
  const conn = await libp2p.dial(multiaddr(target.addrs()[0]!))
  const stream = await conn.newStream(LINK_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 })
  const frames: LinkFrame[] = []
  const closed = (async () => {
    for (;;) {
      const bytes = await lp.read().catch(() => undefined)
      if (bytes == null) return
      const frame = LinkFrame.decode(bytes)
      frames.push(frame)
      if (opts.answerPings !== false && frame.pulse?.ping === true) await lp.write(LinkFrame.encode({ pulse: { ping: false, digest: 0n }, records: [], digest: [], want: [], synced: false })).catch(() => {})
    }
  })()
  return {
    libp2p,
    peerId: peerId.toString(),
    privateKey,
    frames,
    closed,
    record,
    send: async frame => { await lp.write(LinkFrame.encode(frame as LinkFrame)) },
    sendRaw: async bytes => { await lp.write(bytes) },
    stop: async () => { await libp2p.stop() }
  }
}

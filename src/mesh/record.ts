import { createHash } from 'node:crypto'
import { peerIdFromMultihash, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { equals as bytesEqual } from 'uint8arrays/equals'
import { FUNCTION_NAME } from '../rules.js'
import { MemberRecord } from '../wire/mesh.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Signature domain of member records: a signature made for anything else never verifies here. */
export const RECORD_DOMAIN = 'p2pfaas-member'
export const RECORD_PAYLOAD_TYPE = new TextEncoder().encode('/p2pfaas/member/1')
/** A node with 8 addresses, 32 links and a few dozen functions stays far below this. */
export const MAX_RECORD_BYTES = 4096
export const MAX_RECORD_ADDRS = 8
export const MAX_RECORD_LINKS = 32
export const MAX_RECORD_FUNCTIONS = 256
const MAX_ADDR_BYTES = 128
const MAX_CAPACITY = 1_000_000

export interface FunctionSlots {
  name: string
  capacity: number
}

/** What a node says of itself, decoded and checked. */
export interface MemberInfo {
  peerId: string
  incarnation: bigint
  seq: bigint
  /** Multiaddrs without /p2p. */
  addrs: string[]
  functions: FunctionSlots[]
  /** PeerIds of its live overlay links. */
  links: string[]
  leaving: boolean
}

export interface Version {
  incarnation: bigint
  seq: bigint
}

/** A record as it travels: its checked contents and the signed envelope bytes that prove them. */
export interface SignedRecord {
  info: MemberInfo
  bytes: Uint8Array
}

export type RecordProblem = 'oversized' | 'malformed' | 'bad signature' | 'forged' | 'replay' | 'schema'

export class RecordError extends Error {
  override name = 'RecordError'
  constructor (readonly problem: RecordProblem, message: string) {
    super(message)
  }
}

/** Newer first: positive when a is newer than b. */
export function compareVersion (a: Version, b: Version): number {
  if (a.incarnation !== b.incarnation) return a.incarnation > b.incarnation ? 1 : -1
  return a.seq === b.seq ? 0 : a.seq > b.seq ? 1 : -1
}

/** A record's contribution to a view digest: 64 bits of a hash of who and which version. */
export function versionHash (peerId: string, v: Version): bigint {
  const h = createHash('sha256').update(peerId).update(`/${v.incarnation}/${v.seq}`).digest()
  return h.readBigUInt64BE(0)
}

class MemberPayload {
  readonly domain = RECORD_DOMAIN
  readonly codec = RECORD_PAYLOAD_TYPE
  constructor (private readonly bytes: Uint8Array) {}
  marshal (): Uint8Array { return this.bytes }
  equals (other: unknown): boolean { return other instanceof MemberPayload && bytesEqual(other.bytes, this.bytes) }
}

export async function sealRecord (info: MemberInfo, privateKey: PrivateKey): Promise<SignedRecord> {
  const payload = MemberRecord.encode({
    peerId: peerIdFromString(info.peerId).toMultihash().bytes,
    incarnation: info.incarnation,
    seq: info.seq,
    addrs: info.addrs.map(a => multiaddr(a).bytes),
    functions: info.functions,
    links: info.links.map(l => peerIdFromString(l).toMultihash().bytes),
    leaving: info.leaving
  })
  const envelope = await RecordEnvelope.seal(new MemberPayload(payload), privateKey)
  const bytes = envelope.marshal()
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new RecordError('oversized', `own record is ${bytes.byteLength} bytes`)
  return { info, bytes }
}

/** A record decoded and checked for shape, signature not yet verified (cheap: enough to tell news from noise). */
export interface PeekedRecord {
  info: MemberInfo
  bytes: Uint8Array
  envelope: RecordEnvelope
}

/** Decodes and checks a record's shape without verifying its signature. Throws RecordError. */
export function peekRecord (bytes: Uint8Array): PeekedRecord {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new RecordError('oversized', `a record of ${bytes.byteLength} bytes (at most ${MAX_RECORD_BYTES})`)
  let envelope: RecordEnvelope
  let decoded: MemberRecord
  try {
    envelope = RecordEnvelope.createFromProtobuf(bytes)
    if (!bytesEqual(envelope.payloadType, RECORD_PAYLOAD_TYPE)) throw new Error('not a member record')
    decoded = MemberRecord.decode(envelope.payload)
  } catch (err: any) {
    throw new RecordError('malformed', `not a member record (${err.message})`)
  }
  return { info: checkShape(decoded), bytes, envelope }
}

/** Verifies the signature and that the signer is the node the record speaks for. Throws RecordError. */
export async function certifyRecord (peeked: PeekedRecord): Promise<SignedRecord> {
  let valid = false
  try {
    valid = await peeked.envelope.validate(RECORD_DOMAIN)
  } catch {}
  if (!valid) throw new RecordError('bad signature', `the record of ${peeked.info.peerId} has a bad signature`)
  if (peerIdFromPublicKey(peeked.envelope.publicKey).toString() !== peeked.info.peerId) {
    throw new RecordError('forged', `a record for ${peeked.info.peerId} signed by someone else`)
  }
  return { info: peeked.info, bytes: peeked.bytes }
}

function checkShape (m: MemberRecord): MemberInfo {
  const bad = (what: string): never => { throw new RecordError('schema', what) }
  const peerId = peerIdString(m.peerId) ?? bad('the record names no valid PeerId')
  const addrs: string[] = []
  for (const raw of m.addrs) {
    if (raw.byteLength > MAX_ADDR_BYTES) bad('an address is too long')
    const text = addrText(raw) ?? bad('an address is not a TCP multiaddr without /p2p')
    if (!addrs.includes(text)) addrs.push(text)
  }
  const names = new Set<string>()
  for (const f of m.functions) {
    if (!FUNCTION_NAME.test(f.name)) bad('a function name breaks the naming rule')
    if (names.has(f.name)) bad('a function is listed twice')
    if (f.capacity > MAX_CAPACITY) bad('a capacity is out of range')
    names.add(f.name)
  }
  const links: string[] = []
  for (const raw of m.links) {
    const id = peerIdString(raw) ?? bad('a link names no valid PeerId')
    if (id === peerId || links.includes(id)) bad('a link is listed twice or to itself')
    links.push(id)
  }
  if (m.seq === 0n) bad('seq starts at 1')
  return { peerId, incarnation: m.incarnation, seq: m.seq, addrs, functions: m.functions.map(f => ({ name: f.name, capacity: f.capacity })), links, leaving: m.leaving }
}

// Pure memoisation of immutable bytes-to-text conversions, so one process's nodes may share them:
// a member's PeerId, links and addresses repeat in every version of its record.
const idCache = new Map<string, string>()
const addrCache = new Map<string, string | null>()
const cacheKey = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')

/** A member's address bytes as text when they are a TCP multiaddr without /p2p; undefined otherwise. */
function addrText (raw: Uint8Array): string | undefined {
  const key = cacheKey(raw)
  const hit = addrCache.get(key)
  if (hit !== undefined) return hit ?? undefined
  let text: string | null = null
  try {
    const ma = multiaddr(raw)
    const names = ma.getComponents().map(c => c.name)
    if (names.includes('tcp') && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(names[0] ?? '') && !names.includes('p2p')) text = ma.toString()
  } catch {}
  if (addrCache.size > 8192) addrCache.clear()
  addrCache.set(key, text)
  return text ?? undefined
}

/** PeerId bytes to its string form; undefined when they are not one. Cached: links repeat in every record. */
export function peerIdString (bytes: Uint8Array): string | undefined {
  const key = cacheKey(bytes)
  const hit = idCache.get(key)
  if (hit != null) return hit
  let id: PeerId
  try {
    id = peerIdFromMultihash(Digest.decode(bytes))
  } catch {
    return undefined
  }
  if (idCache.size > 8192) idCache.clear()
  const text = id.toString()
  idCache.set(key, text)
  return text
}

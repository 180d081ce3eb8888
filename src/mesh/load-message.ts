import { equals as bytesEqual } from 'uint8arrays/equals'
import { LoadMessage } from '../wire/load.js'
import type { NodeLoad } from './load.js'
import type { PeerId } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'

/** Versioned topic: a breaking change to the message gets a new topic, so old and new never mix. */
export const LOAD_TOPIC = 'p2pfaas/load/1'
export const LOAD_MESSAGE_VERSION = 1
/** Far above a node with 256 functions (about 40 bytes each), far below anything that hurts. */
export const MAX_LOAD_MESSAGE_BYTES = 16 * 1024
export const MAX_FUNCTIONS_PER_MESSAGE = 256
const MAX_COUNT = 1_000_000
const FUNCTION_NAME = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/
/** Out-of-order arrivals this close behind the newest are harmless reorders, not replays. */
export const REORDER_WINDOW = 8n

export interface OutgoingLoad {
  nodeId: PeerId
  incarnation: bigint
  seq: bigint
  timeMs: number
  load: NodeLoad
}

export function encodeLoadMessage (out: OutgoingLoad): Uint8Array {
  return LoadMessage.encode({
    version: LOAD_MESSAGE_VERSION,
    nodeId: out.nodeId.toMultihash().bytes,
    incarnation: out.incarnation,
    seq: out.seq,
    timeMs: BigInt(out.timeMs),
    functions: out.load.functions,
    totals: out.load.totals
  })
}

export interface AcceptedLoad {
  result: 'accept'
  from: PeerId
  incarnation: bigint
  seq: bigint
  timeMs: number
  load: NodeLoad
}

export interface RefusedLoad {
  /** reject: invalid, the propagating peer is penalised; ignore: harmless, just dropped. */
  result: 'reject' | 'ignore'
  reason: string
}

export type LoadVerdict = AcceptedLoad | RefusedLoad

/**
 * Remembers the newest (incarnation, seq) per sender so old messages cannot be replayed into the
 * view. Bounded: the least recently updated senders are forgotten first.
 */
export class ReplayGuard {
  private readonly newest = new Map<string, { incarnation: bigint, seq: bigint }>()

  constructor (private readonly maxSenders = 4096) {}

  /** Judges a message without recording it. */
  check (sender: string, incarnation: bigint, seq: bigint): 'new' | 'reordered' | 'replayed' {
    const last = this.newest.get(sender)
    if (last == null || incarnation > last.incarnation) return 'new'
    if (incarnation < last.incarnation) return 'replayed'
    if (seq > last.seq) return 'new'
    return last.seq - seq < REORDER_WINDOW ? 'reordered' : 'replayed'
  }

  record (sender: string, incarnation: bigint, seq: bigint): void {
    this.newest.delete(sender)
    this.newest.set(sender, { incarnation, seq })
    if (this.newest.size > this.maxSenders) {
      const oldest = this.newest.keys().next().value
      if (oldest != null) this.newest.delete(oldest)
    }
  }
}

/**
 * The one gate for gossiped load: size, schema, the signer is the node it speaks for, and the
 * sequence moves forward. Accepted messages are recorded in the guard.
 */
export function judgeLoadMessage (msg: Message, guard: ReplayGuard): LoadVerdict {
  if (msg.type !== 'signed') return { result: 'reject', reason: 'unsigned' }
  if (msg.data.byteLength > MAX_LOAD_MESSAGE_BYTES) return { result: 'reject', reason: 'oversized' }

  let decoded: LoadMessage
  try {
    decoded = LoadMessage.decode(msg.data, { limits: { functions: MAX_FUNCTIONS_PER_MESSAGE } })
  } catch {
    return { result: 'reject', reason: 'malformed' }
  }
  if (decoded.version !== LOAD_MESSAGE_VERSION) return { result: 'reject', reason: 'unknown version' }
  if (!bytesEqual(decoded.nodeId, msg.from.toMultihash().bytes)) {
    return { result: 'reject', reason: 'spoofed: node id is not the signer' }
  }
  const schemaError = checkLoadSchema(decoded)
  if (schemaError != null) return { result: 'reject', reason: schemaError }

  const sender = msg.from.toString()
  const order = guard.check(sender, decoded.incarnation, decoded.seq)
  if (order === 'replayed') return { result: 'reject', reason: 'replayed: old sequence' }
  if (order === 'reordered') return { result: 'ignore', reason: 'out of order' }
  guard.record(sender, decoded.incarnation, decoded.seq)

  const totals = decoded.totals ?? { queued: 0, running: 0, capacity: 0 }
  return {
    result: 'accept',
    from: msg.from,
    incarnation: decoded.incarnation,
    seq: decoded.seq,
    timeMs: Number(decoded.timeMs),
    load: {
      functions: decoded.functions.map(f => ({ name: f.name, queued: f.queued, running: f.running, capacity: f.capacity })),
      totals: { queued: totals.queued, running: totals.running, capacity: totals.capacity }
    }
  }
}

function checkLoadSchema (m: LoadMessage): string | undefined {
  if (m.totals == null) return 'schema: totals missing'
  const names = new Set<string>()
  for (const f of m.functions) {
    if (!FUNCTION_NAME.test(f.name)) return 'schema: bad function name'
    if (names.has(f.name)) return 'schema: duplicate function'
    names.add(f.name)
    if (f.queued > MAX_COUNT || f.running > MAX_COUNT || f.capacity > MAX_COUNT) return 'schema: count out of range'
  }
  const t = m.totals
  if (t.queued > MAX_COUNT || t.running > MAX_COUNT || t.capacity > MAX_COUNT) return 'schema: count out of range'
  return undefined
}

import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { InvokeFrame, InvokeRequest, type Header, type TraceEntry as WireTrace } from '../wire/invoke.js'
import { FUNCTION_NAME, isTruthy } from '../rules.js'
import { MAX_HOPS_ON_WIRE } from './constants.js'
import type { Call, TraceEntry } from './call.js'
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

/** The generated codecs want ArrayBuffer-backed arrays; ours always are (never SharedArrayBuffer). */
const plain = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>

/**
 * Peer ids cross the wire as bytes and live in the code as strings; a call converts several each
 * way (about 6 µs each in base58), always among the same few peers, so both directions are cached.
 *
 * Shared by every node in the process, and safe to be: both maps are pure memoisation. An entry is
 * a function of its key alone (a peer id's text and its multihash bytes are two spellings of one
 * value), so it is right for any node and no node can learn from it what another did. The cached
 * bytes never leave this module (peerBytes and peerString are not exported): they only go into
 * the protobuf encoder, which copies them, so nothing can change one in place. The bound keeps
 * memory flat whoever fills them; one node's peers evicting another's costs time, never answers.
 */
const toBytes = new Map<string, Uint8Array<ArrayBuffer>>()
const toText = new Map<string, string>()
const MAX_CACHED = 4096

function peerBytes (peerId: string): Uint8Array<ArrayBuffer> {
  let bytes = toBytes.get(peerId)
  if (bytes == null) {
    bytes = plain(peerIdFromString(peerId).toMultihash().bytes)
    if (toBytes.size >= MAX_CACHED) toBytes.clear()
    toBytes.set(peerId, bytes)
  }
  return bytes
}

function peerString (bytes: Uint8Array): string {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  let text = toText.get(key)
  if (text == null) {
    text = peerIdFromMultihash(Digest.decode(bytes)).toString()
    if (toText.size >= MAX_CACHED) toText.clear()
    toText.set(key, text)
  }
  return text
}

const toHeaders = (h: Record<string, string>): Header[] => Object.entries(h).map(([name, value]) => ({ name, value }))

export function fromHeaders (list: Header[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { name, value } of list) out[name.toLowerCase()] = value
  return out
}

/** The request frame for handing `call` to the next peer; `self` joins the visited list. */
export function encodeRequest (call: Call, self: string, now = performance.now(), fromClient = false): Uint8Array {
  return InvokeRequest.encode({
    callId: call.callId,
    function: call.function,
    method: call.method,
    path: call.path,
    query: call.query,
    headers: toHeaders(call.headers),
    body: plain(call.body),
    hops: call.hops + 1,
    visited: [...call.visited, self].map(peerBytes),
    budgetMs: Math.max(0, Math.floor(call.deadline - now)),
    idempotent: call.idempotent,
    fromClient
  })
}

export class FrameError extends Error {
  override name = 'FrameError'
}

/**
 * Parses and checks a request frame from `sender` into a Call. Anything off is a FrameError, which
 * the handler answers with BAD_REQUEST; nothing here trusts the peer beyond Noise's word on who it is.
 */
export function decodeRequest (bytes: Uint8Array, sender: string, maxBodyBytes: number, now = performance.now()): Call {
  let req: InvokeRequest
  try {
    req = InvokeRequest.decode(bytes)
  } catch (err: any) {
    throw new FrameError(`malformed request frame: ${err.message}`)
  }
  if (!FUNCTION_NAME.test(req.function)) throw new FrameError('bad function name')
  if (!METHODS.has(req.method)) throw new FrameError('bad method')
  if (!req.path.startsWith('/') || req.path.length > 4096 || req.query.length > 8192) throw new FrameError('bad path or query')
  if (req.body.byteLength > maxBodyBytes) throw new FrameError('body too large')
  if (req.hops < 1 || req.hops > MAX_HOPS_ON_WIRE || req.visited.length !== req.hops) throw new FrameError('hops and visited peers disagree')
  if (req.callId.length === 0 || req.callId.length > 128) throw new FrameError('bad call id')
  if (req.budgetMs === 0) throw new FrameError('no time left')
  let visited: string[]
  try {
    visited = req.visited.map(peerString)
  } catch {
    throw new FrameError('bad peer id in visited')
  }
  // The last visitor is the peer we are talking to: Noise authenticated it, so the path cannot be forged at its tail.
  if (visited[visited.length - 1] !== sender) throw new FrameError('the sender is not the last visited peer')
  // A client's call starts here: scheduled as hop 0, the client not on the path.
  const client = req.fromClient && req.hops === 1
  return {
    callId: req.callId,
    function: req.function,
    method: req.method,
    path: req.path,
    query: req.query,
    headers: fromHeaders(req.headers),
    body: req.body,
    hops: client ? 0 : req.hops,
    visited: client ? [] : visited,
    deadline: now + req.budgetMs,
    idempotent: req.idempotent,
    bypass: client && isTruthy(req.headers.find(h => h.name.toLowerCase() === 'x-p2pfaas-scheduler-bypass')?.value),
    forceForward: client && isTruthy(req.headers.find(h => h.name.toLowerCase() === 'x-p2pfaas-scheduler-forward')?.value)
  }
}

export function traceToWire (t: TraceEntry): WireTrace {
  return { peer: peerBytes(t.peer), decision: t.decision, schedulingMs: t.schedulingMs, probingMs: t.probingMs, queueMs: t.queueMs, execMs: t.execMs, totalMs: t.totalMs }
}

export function traceFromWire (t: WireTrace): TraceEntry {
  const decision = t.decision === 'forward' || t.decision === 'reject' ? t.decision : 'local'
  return { peer: peerString(t.peer), decision, schedulingMs: t.schedulingMs, probingMs: t.probingMs, queueMs: t.queueMs, execMs: t.execMs, totalMs: t.totalMs }
}

export const encodeFrame = (frame: Partial<InvokeFrame>): Uint8Array => InvokeFrame.encode(frame)
export const decodeFrame = (bytes: Uint8Array): InvokeFrame => InvokeFrame.decode(bytes, { limits: { response$: { headers: 256, trace: 17 } } as any })

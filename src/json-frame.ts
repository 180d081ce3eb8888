import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type * as z from 'zod'

/**
 * JSON frames of the management and observe protocols: UTF-8, strict on the way in (a frame that
 * is not UTF-8 is unreadable, not mangled), one request frame and one response frame per stream.
 */
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
export const decodeJson = (bytes: Uint8Array): unknown => JSON.parse(decoder.decode(bytes))

export type FrameReader = ReturnType<typeof lpStream>

/** A request refused with a stable code; `extra` fields travel beside the code and the message. */
export class FrameRefusal extends Error {
  constructor (readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) { super(message) }
}

/** The request frame, read within `timeoutMs` and checked by `schema`: a BAD_REQUEST refusal otherwise. */
export async function readJsonRequest<S extends z.ZodType> (lp: FrameReader, schema: S, timeoutMs: number): Promise<z.output<S>> {
  let raw: unknown
  try {
    raw = decodeJson((await lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray())
  } catch (err: any) {
    throw new FrameRefusal('BAD_REQUEST', `unreadable request: ${err.message}`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new FrameRefusal('BAD_REQUEST', parsed.error.issues.map(i => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '))
  return parsed.data
}

export interface OneFrameServe {
  maxRequestBytes: number
  maxResponseBytes: number
  /** Reads the request from `lp` and works out the result; a FrameRefusal is answered as such. */
  answer: (lp: FrameReader) => Promise<unknown>
  /** Anything else that went wrong: answered INTERNAL, and told here. */
  onInternal: (err: any) => void
}

/** Serves one request on a stream: `{ ok: true, result }` or `{ ok: false, code, message }`, bounded, then closes. */
export async function serveOneFrame (stream: Stream, o: OneFrameServe): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: o.maxRequestBytes })
  let response: unknown
  try {
    response = { ok: true, result: await o.answer(lp) }
  } catch (err: any) {
    if (err instanceof FrameRefusal) {
      response = { ok: false, code: err.code, message: err.message, ...err.extra }
    } else {
      response = { ok: false, code: 'INTERNAL', message: err?.message ?? String(err) }
      o.onInternal(err)
    }
  }
  try {
    const bytes = encodeJson(response)
    await lp.write(bytes.length <= o.maxResponseBytes ? bytes : encodeJson({ ok: false, code: 'INTERNAL', message: 'the answer is too large' }))
    await stream.close()
  } catch (err: any) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

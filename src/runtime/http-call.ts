import { RuntimeError, type RuntimeRequest, type RuntimeResponse } from './types.js'
import type { FunctionContainer } from './docker-container.js'

/** Headers that belong to one hop of HTTP, never passed through (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length'])

/** One call to a function's watchdog over the container's keep-alive pool. */
export async function callContainer (c: FunctionContainer, req: RuntimeRequest, maxBytes: number): Promise<RuntimeResponse> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v
  try {
    const res = await c.http.request({
      method: req.method as any,
      path: req.path + (req.query !== '' ? `?${req.query}` : ''),
      headers,
      body: req.body.byteLength > 0 ? req.body : undefined,
      signal: req.signal,
      headersTimeout: 0,
      bodyTimeout: 0
    })
    const declared = Number(res.headers['content-length'] ?? NaN)
    if (declared > maxBytes) {
      res.body.destroy()
      throw new RuntimeError('RESPONSE_TOO_LARGE', `the function answered ${declared} bytes, more than the ${maxBytes} this node accepts`)
    }
    // A declared length is already bounded: read it in one go; otherwise count as it streams.
    const body = Number.isFinite(declared) ? Buffer.from(await res.body.arrayBuffer()) : await readCapped(res.body, maxBytes)
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers)) {
      if (v == null || HOP_BY_HOP.has(k)) continue
      out[k] = Array.isArray(v) ? v.join(', ') : v
    }
    return { status: res.statusCode, headers: out, body }
  } catch (err: any) {
    if (err instanceof RuntimeError) throw err
    if (req.signal.aborted) throw req.signal.reason
    // undici's RequestAbortedError, by its stable code: this module must not load undici (the
    // gateway imports HOP_BY_HOP from here, and a node without Docker functions never needs undici).
    if (err?.code === 'UND_ERR_ABORTED') throw req.signal.reason ?? err
    throw new RuntimeError('FUNCTION_CRASHED', `the function's container stopped answering (${err.code ?? err.message})`, { cause: err })
  }
}

async function readCapped (body: AsyncIterable<Buffer> & { destroy: () => void }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxBytes) {
      body.destroy()
      throw new RuntimeError('RESPONSE_TOO_LARGE', `the function answered more than ${maxBytes} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

import { CliError, EXIT } from '../session.js'
import type { CallResult } from './summary.js'
import type { Target } from './runner.js'
import type { CallOptions } from './arrivals.js'

/** `--http <url>`: a node's HTTP API root (http or https, no query). */
export function parseNodeUrl (value: string): URL {
  let url: URL
  try { url = new URL(value) } catch { throw new CliError(EXIT.usage, `--http: "${value}" is not a URL; e.g. http://192.168.1.10:18080`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(EXIT.usage, `--http: "${value}" is not an http:// or https:// URL`)
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new CliError(EXIT.usage, `--http: "${value}" must be a plain base URL (no query, fragment or credentials)`)
  return url
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The path the node reports (X-P2pfaas-Peers-List-Id), origin first; [] when absent or unreadable. */
function pathOf (raw: string | undefined): string[] {
  if (raw == null) return []
  try {
    const list = JSON.parse(raw) as unknown
    return Array.isArray(list) && list.every(p => typeof p === 'string') ? list : []
  } catch { return [] }
}

/**
 * An HTTP answer as a bench record sees it. A node's own error is a JSON body `{code, message,
 * callId}` whose callId is the response's X-Call-Id; anything else at 400+ is the function's answer.
 */
export function fromHttp (status: number, headers: Record<string, string | string[] | undefined>, body: Uint8Array): CallResult {
  const path = pathOf(header(headers, 'x-p2pfaas-peers-list-id'))
  const hops = Number(header(headers, 'x-p2pfaas-hops') ?? Math.max(0, path.length - 1))
  const ranOn = path.at(-1) ?? ''
  const exec = Number(header(headers, 'x-p2pfaas-timing-execution-time-seconds') ?? NaN) * 1000
  const base = { status, hops: Number.isFinite(hops) ? hops : 0, ranOn, forwarded: path.length > 0 && ranOn !== path[0], ...(Number.isFinite(exec) ? { execMs: exec } : {}) }
  if (status < 400) return { outcome: 'ok', code: '', ...base }
  let code = `HTTP_${status}`
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { code?: unknown, callId?: unknown }
    if (typeof parsed.code === 'string' && parsed.callId != null && parsed.callId === header(headers, 'x-call-id')) code = parsed.code
  } catch {}
  return { outcome: code === 'OVERLOADED' ? 'rejected' : 'error', code, ...base }
}

export interface HttpTargetInit {
  fn: string
  headers: Record<string, string>
  /** Most sockets to open: the bench's cap on calls outstanding. */
  connections: number
}

/** One node called at `POST <url>/function/<name>`, on a keep-alive pool of its own. */
export async function httpTarget (url: URL, init: HttpTargetInit): Promise<Target> {
  // Loaded here, not at the top: the CLI's entry imports every command, and `p2pfaas node` has no use for undici.
  const { Pool } = await import('undici')
  const pool = new Pool(url.origin, { connections: init.connections, headersTimeout: 0, bodyTimeout: 0 })
  const path = `${url.pathname.replace(/\/+$/, '')}/function/${encodeURIComponent(init.fn)}`
  return {
    label: url.href.replace(/\/+$/, ''),
    async send (body, signal, options?: CallOptions) {
      try {
        const headers = options?.headers != null ? { ...init.headers, ...options.headers } : init.headers
        const query = options?.query != null && options.query !== '' ? `?${options.query}` : ''
        const res = await pool.request({ method: 'POST', path: path + query, headers, body, signal })
        const answer = new Uint8Array(await res.body.arrayBuffer())
        return fromHttp(res.statusCode, res.headers, answer)
      } catch {
        return { outcome: 'error', status: 0, code: signal.aborted ? 'TIMEOUT' : 'UNREACHABLE', hops: 0, ranOn: '', forwarded: false }
      }
    },
    async close () { await pool.destroy() }
  }
}

import { describe, expect, it } from 'vitest'
import { fromHttp, parseNodeUrl } from '../../../src/cli/bench/http-target.js'
import { fromHandOff } from '../../../src/cli/bench/libp2p-target.js'
import type { TraceEntry } from '../../../src/invoke/call.js'

const hop = (peer: string): TraceEntry => ({ peer, decision: 'local', schedulingMs: 0, probingMs: 0, queueMs: 0, execMs: 1, totalMs: 1 })
const answered = (trace: TraceEntry[], status = 200, errorCode?: string) =>
  ({ outcome: 'answered' as const, response: { status, headers: {}, body: new Uint8Array() }, trace, errorCode })

describe('a hand-off as a bench record', () => {
  it('tells success, forwarding and hops from the trace', () => {
    // execMs: the executor's own execution time, the last entry's.
    expect(fromHandOff(answered([hop('A')]), 'A')).toEqual({ outcome: 'ok', status: 200, code: '', hops: 0, ranOn: 'A', forwarded: false, execMs: 1 })
    expect(fromHandOff(answered([hop('A'), hop('B')]), 'A')).toEqual({ outcome: 'ok', status: 200, code: '', hops: 1, ranOn: 'B', forwarded: true, execMs: 1 })
    // Back to where it started: two hops, but it ran on the node called.
    expect(fromHandOff(answered([hop('A'), hop('B'), hop('A')]), 'A')).toMatchObject({ hops: 2, forwarded: false })
  })

  it('counts overload as rejected, everything else as an error with its code', () => {
    expect(fromHandOff({ outcome: 'refused', code: 'OVERLOADED', message: '' }, 'A')).toMatchObject({ outcome: 'rejected', code: 'OVERLOADED' })
    expect(fromHandOff({ outcome: 'refused', code: 'FUNCTION_NOT_FOUND', message: '' }, 'A')).toMatchObject({ outcome: 'error', code: 'FUNCTION_NOT_FOUND' })
    expect(fromHandOff({ outcome: 'lost', message: '' }, 'A')).toMatchObject({ outcome: 'error', code: 'LOST' })
    expect(fromHandOff({ outcome: 'refused', code: 'UNREACHABLE', message: 'max outbound streams exceeded' }, 'A')).toMatchObject({ outcome: 'error', code: 'STREAM_LIMIT' })
    expect(fromHandOff({ outcome: 'refused', code: 'UNREACHABLE', message: 'connection refused' }, 'A')).toMatchObject({ code: 'UNREACHABLE' })
    expect(fromHandOff(answered([hop('A'), hop('B')], 429, 'OVERLOADED'), 'A')).toMatchObject({ outcome: 'rejected', hops: 1 })
    expect(fromHandOff(answered([hop('A')], 504, 'TIMEOUT'), 'A')).toMatchObject({ outcome: 'error', code: 'TIMEOUT', status: 504 })
    expect(fromHandOff(answered([hop('A')], 500), 'A')).toMatchObject({ outcome: 'error', code: 'HTTP_500' })
  })
})

describe('an HTTP answer as a bench record', () => {
  const trace = { 'x-p2pfaas-hops': '1', 'x-p2pfaas-peers-list-id': '["A","B"]', 'x-call-id': 'c1' }
  const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v))

  it('reads hops and the path from the P2PFaaS headers', () => {
    expect(fromHttp(200, trace, new Uint8Array())).toEqual({ outcome: 'ok', status: 200, code: '', hops: 1, ranOn: 'B', forwarded: true })
    expect(fromHttp(200, {}, new Uint8Array())).toEqual({ outcome: 'ok', status: 200, code: '', hops: 0, ranOn: '', forwarded: false })
    expect(fromHttp(200, { 'x-p2pfaas-timing-execution-time-seconds': '0.25' }, new Uint8Array())).toMatchObject({ execMs: 250 })
    expect(fromHttp(200, { 'x-p2pfaas-peers-list-id': 'not json' }, new Uint8Array())).toMatchObject({ ranOn: '', hops: 0 })
  })

  it("takes the node's code only from the node's own error body", () => {
    expect(fromHttp(429, trace, json({ code: 'OVERLOADED', message: 'busy', callId: 'c1' }))).toMatchObject({ outcome: 'rejected', code: 'OVERLOADED' })
    expect(fromHttp(404, {}, json({ code: 'FUNCTION_NOT_FOUND', message: '', callId: undefined }))).toMatchObject({ outcome: 'error', code: 'HTTP_404' })
    // A function answering JSON with a "code" of its own is still the function's error.
    expect(fromHttp(500, trace, json({ code: 'OVERLOADED', callId: 'other' }))).toMatchObject({ outcome: 'error', code: 'HTTP_500' })
    expect(fromHttp(502, trace, Buffer.from('<html>'))).toMatchObject({ outcome: 'error', code: 'HTTP_502' })
  })

  it('takes only plain http(s) base URLs', () => {
    expect(parseNodeUrl('http://127.0.0.1:18080').href).toBe('http://127.0.0.1:18080/')
    expect(() => parseNodeUrl('127.0.0.1:18080')).toThrow(/not a URL/)
    expect(() => parseNodeUrl('ftp://x')).toThrow(/not an http/)
    expect(() => parseNodeUrl('http://u:p@x')).toThrow(/plain base URL/)
  })
})

describe('an HTTP target', () => {
  it('sends each call\'s own headers and query beside the shared ones (the experiment\'s task type and work)', async () => {
    const { createServer } = await import('node:http')
    const seen: Array<{ url: string, type: string | undefined, shared: string | undefined }> = []
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', type: req.headers['x-p2pfaas-scheduler-learning-task-type'] as string | undefined, shared: req.headers['x-shared'] as string | undefined })
      res.end('ok')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { httpTarget } = await import('../../../src/cli/bench/http-target.js')
    const target = await httpTarget(new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}`), { fn: 'emu', headers: { 'x-shared': 'yes' }, connections: 2 })
    try {
      const signal = new AbortController().signal
      expect(await target.send(new Uint8Array(), signal, { headers: { 'x-p2pfaas-scheduler-learning-task-type': '1' }, query: 'ms=12.5' })).toMatchObject({ outcome: 'ok' })
      expect(await target.send(new Uint8Array(), signal)).toMatchObject({ outcome: 'ok' })
    } finally {
      await target.close?.()
      await new Promise(resolve => server.close(resolve))
    }
    expect(seen).toEqual([
      { url: '/function/emu?ms=12.5', type: '1', shared: 'yes' },
      { url: '/function/emu', type: undefined, shared: 'yes' }
    ])
  })
})

import { createServer, type Server } from 'node:http'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { LIMITS } from '../src/cli/bench/options.js'
import { openSession } from '../src/cli/session.js'
import { validateDeployBody } from '../src/functions/openfaas.js'
import { parseDuration as parseFieldDuration } from '../src/functions/quantities.js'
import { createInvokeHandler, type InvokeRouteDeps } from '../src/gateway/invoke.js'
import { decodeRequest, encodeRequest } from '../src/invoke/wire.js'
import { ManageRequestSchema } from '../src/manage/protocol.js'
import { peekRecord, sealRecord } from '../src/mesh/record.js'
import { DEFAULT_MAX_BODY_BYTES, resolveNodeConfig } from '../src/node/config.js'
import { FUNCTION_NAME, isTruthy, MAX_BODY_BYTES, parseDuration } from '../src/rules.js'
import { parseDurationMs, parseParam } from '../src/scheduler/params.js'
import type { Call } from '../src/invoke/call.js'

/**
 * Each rule below once had several copies that disagreed; now every edge imports src/rules.ts.
 * These tests ask each edge the same questions and expect the same answers.
 */

const key = await generateKeyPair('Ed25519')
const self = peerIdFromPrivateKey(key).toString()

const call = (over: Partial<Call> = {}): Call => ({
  callId: 'c1', function: 'f', method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array(),
  hops: 0, visited: [], deadline: performance.now() + 5000, idempotent: false, bypass: false, forceForward: false, ...over
})

let server: Server | undefined
afterEach(async () => {
  const s = server
  server = undefined
  if (s != null) await new Promise(resolve => s.close(resolve))
})

/**
 * The HTTP gateway's answer to POST /function/<name> with a body over its limit: 400 when the name
 * is refused, else 413 for the body, before the (absent) invoke service would be asked.
 */
async function httpStatus (name: string): Promise<number> {
  const deps = { service: {}, executor: {}, maxBodyBytes: 16, defaultTimeoutMs: 1000, version: 't', schedulerLabel: () => 't' } as unknown as InvokeRouteDeps
  const s = createServer(createInvokeHandler(deps))
  server = s
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${port}/function/${name}`, { method: 'POST', body: 'x'.repeat(64) })
  await res.arrayBuffer()
  return res.status
}

describe('the function name', () => {
  // load-message.ts accepted "." and "_" where the rest of the node refused them; its successor
  // (the member record) and every other edge now share FUNCTION_NAME.
  const edges: Record<string, (name: string) => Promise<boolean>> = {
    rule: async name => FUNCTION_NAME.test(name),
    'deploy body (HTTP API, stack.yml)': async name => 'spec' in validateDeployBody({ service: name, image: 'img:1' }),
    'management protocol': async name => ManageRequestSchema.safeParse({ op: 'remove', name }).success,
    'invoke frame from a peer': async name => {
      try {
        decodeRequest(encodeRequest(call({ function: name }), self), self, 1024)
        return true
      } catch {
        return false
      }
    },
    'member record from the mesh': async name => {
      const { bytes } = await sealRecord({ peerId: self, incarnation: 1n, seq: 1n, addrs: ['/ip4/127.0.0.1/tcp/4001'], functions: [{ name, capacity: 1 }], links: [], leaving: false }, key)
      try {
        peekRecord(bytes)
        return true
      } catch {
        return false
      }
    },
    'HTTP /function/<name>': async name => {
      const status = await httpStatus(name)
      expect([400, 413]).toContain(status)
      return status === 413
    }
  }

  for (const [edge, accepts] of Object.entries(edges)) {
    it(`${edge}: refuses "a.b" and "a_b", accepts "a-b"`, async () => {
      expect(await accepts('a.b')).toBe(false)
      expect(await accepts('a_b')).toBe(false)
      expect(await accepts('a-b')).toBe(true)
    })
  }
})

describe('truthy switches', () => {
  const values = ['1', 'true', 'YES', ' on ', 'On', '0', 'false', 'no', 'off', '', ' yes please']

  it('are one rule: 1, true, yes, on, in any case, spaces around ignored', () => {
    expect(values.map(v => isTruthy(v))).toEqual([true, true, true, true, true, false, false, false, false, false, false])
    expect(isTruthy(undefined)).toBe(false)
    expect(isTruthy(['1'])).toBe(false)
  })

  it('the node\'s env, the CLI\'s env and the invoke frame\'s headers agree with it', async () => {
    for (const v of values) {
      const node = resolveNodeConfig({}, { HOME: '/home/u', P2PFAAS_NO_MDNS: v, P2PFAAS_PRIVATE_READS: v })
      expect(node.mdns === false, `node P2PFAAS_NO_MDNS=${JSON.stringify(v)}`).toBe(isTruthy(v))
      expect(node.privateReads, `node P2PFAAS_PRIVATE_READS=${JSON.stringify(v)}`).toBe(isTruthy(v))

      // With mDNS off and no --peer the CLI refuses before it starts anything. It did not trim, so
      // " on " meant mDNS off to the node and on to the CLI. (Only asked when off: else it would
      // look for nodes on the LAN.)
      if (isTruthy(v)) {
        const refused = await openSession({ discover: '100' }, { env: { P2PFAAS_NO_MDNS: v, P2PFAAS_PEER: '' } }).then(() => 'started', (err: Error) => err.message)
        expect(refused, `CLI P2PFAAS_NO_MDNS=${JSON.stringify(v)}`).toMatch(/mDNS is off/)
      }

      const frame = decodeRequest(encodeRequest(call({ headers: { 'x-p2pfaas-scheduler-bypass': v } }), self, performance.now(), true), self, 1024)
      expect(frame.bypass, `bypass header ${JSON.stringify(v)}`).toBe(isTruthy(v))
    }
  })
})

describe('durations', () => {
  const texts = ['100ms', '1.5s', '2m', '1m30s', '1h', '.5s', '250000us', '0.25m']

  it('one grammar: a policy parameter and a function field read a duration with a unit alike', () => {
    for (const t of texts) {
      const field = parseFieldDuration(t)
      expect(field.ok, t).toBe(true)
      expect(field.ok && field.value, t).toBe(Math.round(parseDurationMs(t)!))
    }
    for (const t of ['10x', 'ms', '-5ms', '1 s', '']) {
      expect(parseDurationMs(t), t).toBeUndefined()
      expect(parseFieldDuration(t).ok, t).toBe(false)
    }
  })

  it('a bare number keeps the unit each context documents: ms for policy parameters, seconds for function fields', () => {
    expect(parseDuration('250', 'ms')).toBe(250)
    expect(parseDuration('250', 's')).toBe(250_000)
    expect(parseParam('threshold', 'tauMs', { kind: 'duration', min: 0, max: 60_000, about: '' }, '250')).toBe(250)
    expect(parseFieldDuration('30')).toEqual({ ok: true, value: 30_000 })
    expect(parseFieldDuration('1.5')).toEqual({ ok: true, value: 1500 })
  })
})

describe('the body limit', () => {
  it('is one constant: the node\'s default and the bench\'s payload limit', () => {
    expect(MAX_BODY_BYTES).toBe(16 * 1024 * 1024)
    expect(DEFAULT_MAX_BODY_BYTES).toBe(MAX_BODY_BYTES)
    expect(LIMITS.payloadBytes).toBe(MAX_BODY_BYTES)
    expect(resolveNodeConfig({}, { HOME: '/home/u' }).maxBodyBytes).toBe(MAX_BODY_BYTES)
  })
})

import { describe, expect, it } from 'vitest'
import { FunctionSpecError, parseDeployBody } from '../../src/functions/openfaas.js'
import { EmulatedRuntime } from '../../src/runtime/emulated.js'

/** The emulated runtime's service time: drawn, or fixed per call with ?ms=, divided by p2pfaas.speed. */

const spec = (labels: Record<string, string>) => parseDeployBody({ service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', ...labels } })
const call = (query: string) => ({ method: 'POST', path: '/', query, headers: {}, body: new Uint8Array(), signal: new AbortController().signal })
const heldMs = async (runtime: EmulatedRuntime, query: string): Promise<number> =>
  (JSON.parse(Buffer.from((await runtime.invoke('emu', call(query))).body).toString()) as { emulatedMs: number }).emulatedMs

describe('the emulated runtime', () => {
  it('holds a call for ?ms= of work, fractional ms included, divided by the node\'s speed', async () => {
    const nominal = new EmulatedRuntime()
    await nominal.deploy(spec({ 'p2pfaas.service-time': 'fixed:500ms' }))
    expect(await heldMs(nominal, 'ms=12.5')).toBe(12.5)
    expect(await heldMs(nominal, 'a=1&ms=3&b=2')).toBe(3)

    const fast = new EmulatedRuntime()
    await fast.deploy(spec({ 'p2pfaas.service-time': 'fixed:20ms', 'p2pfaas.speed': '2' }))
    expect(await heldMs(fast, 'ms=30')).toBe(15)
    // Without ?ms=, the drawn (here fixed) time is divided too.
    expect(await heldMs(fast, '')).toBe(10)
  })

  it('refuses a speed that is not a number in range, at deploy', () => {
    for (const bad of ['0', 'fast', '-1', '1000']) {
      expect(() => spec({ 'p2pfaas.speed': bad }), bad).toThrow(FunctionSpecError)
    }
    expect(() => spec({ 'p2pfaas.sped': '2' })).toThrow(/did you mean "p2pfaas.speed"/)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPolicyCatalog } from '../../src/scheduler/catalog.js'
import { PolicyError } from '../../src/scheduler/errors.js'
import { createPolicyFailures } from '../../src/scheduler/failures.js'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import { loadPolicyModule, loadPolicyModules } from '../../src/scheduler/plugin-load.js'
import { parsePolicy } from '../../src/scheduler/registry.js'
import { decide, decideTraced } from '../../src/scheduler/rules.js'
import type { PolicyFailure } from '../../src/scheduler/guard.js'
import type { PolicyPlugin } from '../../src/scheduler/plugin.js'
import type { Decision, Policy } from '../../src/scheduler/types.js'
import { cand, here, req } from './fixtures.js'
import { capturingLog, moduleDir, pluginSource, type ModuleDir } from './plugin-modules.js'
import { mulberry32 } from './rng.js'

/** Always the first candidate; says which k it was given. */
const FIRST_PEER = `{
  name: 'first-peer',
  about: 'always the first candidate',
  parameters: {
    k: { kind: 'int', min: 0, max: 9, about: 'a small number' },
    slow: { kind: 'duration', min: 0, max: 1000, about: 'a wait' }
  },
  create (params) {
    return { decide: (req, local, candidates) => ({ action: 'forward', peers: [candidates[0].peerId], reason: 'first, k=' + params.k }) }
  }
}`

let dir: ModuleDir
beforeAll(async () => { dir = await moduleDir() })
afterAll(async () => { await dir.remove() })

describe('loading a policy module', () => {
  it('loads the default export, relative to the cwd; the catalog then chooses it like a built-in', async () => {
    await dir.write('first.mjs', pluginSource(FIRST_PEER))
    const plugin = await loadPolicyModule('first.mjs', { cwd: dir.dir })
    expect(plugin).toMatchObject({ name: 'first-peer', about: 'always the first candidate' })
    expect(Object.isFrozen(plugin)).toBe(true)
    const catalog = createPolicyCatalog({ plugins: [plugin] })
    expect(catalog.names).toEqual(['local', 'random', 'round-robin', 'power-of-d', 'threshold', 'least-loaded', 'round-robin-master', 'learning', 'first-peer'])
    const policy = catalog.parse('first-peer:k=3,slow=250ms')
    expect(policy).toMatchObject({ name: 'first-peer', label: 'first-peer(k=3, slow=250, maxHops=1)', maxHops: 1, parameters: { k: 3, slow: 250, maxHops: 1 } })
    expect(decide(policy, req(), here(4, 2), [cand('B', 3), cand('A', 0)], mulberry32(1))).toEqual({ action: 'forward', peers: ['B'], reason: 'first, k=3' })
    expect(catalog.parse(' First-Peer ').name).toBe('first-peer')
    expect(catalog.fromOriginal({ name: 'first-peer', parameters: ['k=2', 'maxHops=2'] })).toMatchObject({ maxHops: 2, parameters: { k: 2, maxHops: 2 } })
  })

  it('loads CommonJS (module.exports) and several modules in order', async () => {
    await dir.write('cjs.cjs', `module.exports = { name: 'cjs-policy', create: () => ({ decide: () => ({ action: 'local', reason: 'cjs' }) }) }\n`)
    await dir.write('second.mjs', pluginSource(FIRST_PEER.replace("'first-peer'", "'second-peer'")))
    const plugins = await loadPolicyModules(['cjs.cjs', `${dir.dir}/second.mjs`], { cwd: dir.dir })
    expect(plugins.map(p => p.name)).toEqual(['cjs-policy', 'second-peer'])
  })

  const bad: Array<[string, string | undefined, RegExp]> = [
    ['missing.mjs', undefined, /--policy-module missing\.mjs: no such file/],
    ['syntax.mjs', 'export default {', /could not be loaded/],
    ['throws.mjs', 'throw new Error("boom at load")', /could not be loaded: boom at load/],
    ['nodefault.mjs', 'export const plugin = {}', /no default export/],
    ['function.mjs', 'export default () => 1', /default export must be a policy plugin .*got function/],
    ['upper.mjs', pluginSource(`{ name: 'My_Policy', create () {} }`), /name must be lower case letters/],
    ['long.mjs', pluginSource(`{ name: 'a${'b'.repeat(63)}', create () {} }`), /name must be lower case/],
    ['builtin.mjs', pluginSource(`{ name: 'least-loaded', create () {} }`), /name "least-loaded" is taken by a built-in policy/],
    ['original.mjs', pluginSource(`{ name: 'noscheduler', create () {} }`), /name "noscheduler" is taken by a built-in/],
    ['nocreate.mjs', pluginSource(`{ name: 'no-create', create: 42 }`), /create must be a function/],
    ['range.mjs', pluginSource(`{ name: 'bad-range', parameters: { k: { kind: 'int', min: 5, max: 1, about: 'k' } }, create () {} }`), /parameters\.k: min must not be above max/],
    ['key.mjs', pluginSource(`{ name: 'bad-key', parameters: { 'a=b': { kind: 'bool', about: 'k' } }, create () {} }`), /parameter key "a=b": a key is a letter/],
    ['kind.mjs', pluginSource(`{ name: 'bad-kind', parameters: { k: { kind: 'string', about: 'k' } }, create () {} }`), /parameters\.k/],
    ['casing.mjs', pluginSource(`{ name: 'bad-case', parameters: { k: { kind: 'bool', about: 'k' }, K: { kind: 'bool', about: 'k' } }, create () {} }`), /differ only in casing/]
  ]
  it.each(bad)('refuses %s with a PolicyError naming the flag, the file and the problem', async (file, source, message) => {
    if (source !== undefined) await dir.write(file, source)
    const loading = loadPolicyModule(file, { cwd: dir.dir })
    await expect(loading).rejects.toThrow(PolicyError)
    await expect(loadPolicyModule(file, { cwd: dir.dir })).rejects.toThrow(message)
  })

  it('refuses two plugins with one name, and a plugin given in code breaking the rules', async () => {
    const plugin = await loadPolicyModule('first.mjs', { cwd: dir.dir })
    expect(() => createPolicyCatalog({ plugins: [plugin, plugin] })).toThrow(/two policy modules are named "first-peer"/)
    const clash: PolicyPlugin = { name: 'random', create: () => ({ decide: () => ({ action: 'local', reason: '' }) }) }
    expect(() => createPolicyCatalog({ plugins: [clash] })).toThrow(/taken by a built-in/)
  })

  it('keeps catalogs apart: a plugin in one node\'s catalog is unknown to another and to parsePolicy', async () => {
    const plugin = await loadPolicyModule('first.mjs', { cwd: dir.dir })
    createPolicyCatalog({ plugins: [plugin] })
    expect(() => createPolicyCatalog().parse('first-peer')).toThrow(/unknown scheduling policy "first-peer"; one of: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master, learning$/)
    expect(() => parsePolicy('first-peer')).toThrow(PolicyError)
    expect(() => createPolicyCatalog({ plugins: [plugin] }).parse('nope')).toThrow(/one of: local, .*, least-loaded, round-robin-master, learning, first-peer/)
  })
})

describe('plugin parameters, checked as the built-ins\' are', () => {
  const given: Array<Record<string, unknown>> = []
  const recording: PolicyPlugin = {
    name: 'recording',
    parameters: { k: { kind: 'int', min: 0, max: 9, about: 'a small number' }, on: { kind: 'bool', about: 'a switch' } },
    create (params) {
      given.push({ ...params })
      return { decide: () => ({ action: 'local', reason: 'here' }) }
    }
  }
  const catalog = createPolicyCatalog({ plugins: [recording] })

  it('refuses a key not declared (no parameter is accepted and ignored), a bad value, a key twice', () => {
    const cases: Array<[string, RegExp]> = [
      ['recording:nope=1', /recording: unknown parameter "nope"; accepted: k \(an integer from 0 to 9: a small number\); on \(true or false: a switch\); maxHops/],
      ['recording:k=10', /recording: k must be an integer from 0 to 9 \(got "10"\)/],
      ['recording:k=x', /k must be an integer/],
      ['recording:on=maybe', /on must be true or false/],
      ['recording:k=1,K=2', /parameter k given twice/],
      ['recording:maxHops=9', /maxHops must be an integer from 0 to 8/]
    ]
    for (const [spec, message] of cases) expect(() => catalog.parse(spec), spec).toThrow(message)
    expect(() => catalog.fromOriginal({ name: 'recording', parameters: ['k=12'] })).toThrow(PolicyError)
  })

  it('hands create() only the keys given, converted; maxHops is the framework\'s unless the plugin declares it', () => {
    given.length = 0
    const policy = catalog.parse('recording:k=4,on=t,maxHops=2')
    expect(given).toEqual([{ k: 4, on: true }])
    expect(policy).toMatchObject({ maxHops: 2, parameters: { k: 4, on: true, maxHops: 2 } })
    catalog.parse('recording')
    expect(given[1]).toEqual({})
    const own: PolicyPlugin = {
      name: 'own-hops',
      parameters: { maxHops: { kind: 'int', min: 0, max: 3, about: 'hops' } },
      create: p => ({ maxHops: typeof p.maxHops === 'number' ? p.maxHops : 3, decide: () => ({ action: 'local', reason: 'x' }) })
    }
    const ownCatalog = createPolicyCatalog({ plugins: [own] })
    expect(ownCatalog.parse('own-hops').maxHops).toBe(3)
    expect(ownCatalog.parse('own-hops:maxHops=1').maxHops).toBe(1)
    expect(() => ownCatalog.parse('own-hops:maxHops=4')).toThrow(/maxHops must be an integer from 0 to 3/)
  })

  it('turns a refusal in create(), or a malformed instance, into a PolicyError', () => {
    const make = (create: PolicyPlugin['create']): PolicyPlugin => ({ name: 'made', create })
    const cases: Array<[PolicyPlugin['create'], RegExp]> = [
      [() => { throw new Error('k and on cannot both be set') }, /^made: k and on cannot both be set$/],
      [() => 42 as never, /made: create\(\) must return \{ decide/],
      [() => ({}) as never, /decide: must be a function/],
      [() => ({ maxHops: 12, decide: () => ({ action: 'local', reason: '' }) }), /made: maxHops must be an integer from 0 to 8 \(got 12\)/],
      [() => ({ label: 'two\nlines', decide: () => ({ action: 'local', reason: '' }) }), /label: printable ASCII/]
    ]
    for (const [create, message] of cases) expect(() => createPolicyCatalog({ plugins: [make(create)] }).parse('made')).toThrow(message)
  })
})

/** A catalog of one in-code plugin, with its failures collected. */
function guarded (instance: ReturnType<PolicyPlugin['create']>): { policy: Policy, failures: PolicyFailure[] } {
  const failures: PolicyFailure[] = []
  const catalog = createPolicyCatalog({ plugins: [{ name: 'under-test', create: () => instance }], onFailure: f => { failures.push(f) } })
  return { policy: catalog.parse('under-test'), failures }
}

describe('the guard: a plugin never loses a call', () => {
  const view = [cand('A', 0), cand('B', 4, 2)]
  const busy = here(4, 2)
  const defaultFor = (seed: number): Decision => decide(createLeastLoaded(), req(), busy, view, mulberry32(seed))

  it('decides with the default policy when decide() throws, and reports it', () => {
    const { policy, failures } = guarded({ decide: () => { throw new TypeError('cannot read x of undefined') } })
    const d = decide(policy, req(), busy, view, mulberry32(7))
    expect(d).toMatchObject({ action: defaultFor(7).action, peers: (defaultFor(7) as { peers: string[] }).peers })
    expect(d.reason).toMatch(/^under-test failed, default policy: /)
    expect(failures).toEqual([{ policy: 'under-test', kind: 'threw', step: 'decide', message: 'TypeError: cannot read x of undefined' }])
  })

  const invalid: Array<[string, unknown, RegExp]> = [
    ['an unknown action', { action: 'teleport', reason: 'x' }, /action must be local, forward, reject or probe \(got "teleport"\)/],
    ['a peer not among the candidates', { action: 'forward', peers: ['A', 'Z'], reason: 'x' }, /peer "Z" is not among the 2 candidates/],
    ['a peer twice', { action: 'forward', peers: ['A', 'A'], reason: 'x' }, /peer A is named twice/],
    ['no peer', { action: 'forward', peers: [], reason: 'x' }, /forward needs a non-empty peers array/],
    ['peers not an array', { action: 'forward', peers: 'A', reason: 'x' }, /forward needs a non-empty peers array/],
    ['no reason', { action: 'local' }, /reason must be a string/],
    ['a reason too long', { action: 'local', reason: 'x'.repeat(300) }, /reason is 300 characters, more than 256/],
    ['probe without afterProbe', { action: 'probe', peers: ['A'], reason: 'x' }, /probe is only allowed from decide\(\) of a policy that has afterProbe/],
    ['an unknown ifRefused', { action: 'forward', peers: ['A'], reason: 'x', ifRefused: 'retry' }, /ifRefused must be "local" or "reject" \(got "retry"\)/],
    ['nothing', undefined, /not a decision object \(got undefined\)/],
    ['a promise (async decide)', Promise.resolve({ action: 'local', reason: 'x' }), /action must be/],
    ['a getter that throws', { get action (): string { throw new Error('getter') } }, /getter/]
  ]
  it.each(invalid)('decides with the default policy when decide() answers %s', (_what, answer, message) => {
    const { policy, failures } = guarded({ decide: () => answer as never })
    expect(decide(policy, req(), busy, view, mulberry32(3))).toMatchObject({ action: defaultFor(3).action })
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ policy: 'under-test', kind: 'invalid', step: 'decide' })
    expect(failures[0]!.message).toMatch(message)
  })

  it('passes a valid decision through as a copy the plugin cannot change afterwards', () => {
    const answer = { action: 'forward' as const, peers: ['B', 'A'], reason: 'mine' }
    const { policy, failures } = guarded({ decide: () => answer })
    const d = decide(policy, req(), busy, view, mulberry32(1))
    answer.peers.push('Z')
    expect(d).toEqual({ action: 'forward', peers: ['B', 'A'], reason: 'mine' })
    expect(failures).toEqual([])
    const strict = guarded({ decide: () => ({ action: 'forward', peers: ['A'], reason: 'only A', ifRefused: 'reject' }) })
    expect(decide(strict.policy, req(), busy, view, mulberry32(1))).toEqual({ action: 'forward', peers: ['A'], reason: 'only A', ifRefused: 'reject' })
  })

  it('whatever a plugin does, every decision is one the node can carry out', () => {
    const rng = mulberry32(99)
    const answers = [
      () => { throw new Error('x') },
      () => ({ action: 'forward', peers: ['nobody'], reason: '' }),
      () => ({ action: ['local', 'forward', 'reject', 'probe'][Math.floor(rng() * 4)], peers: ['A'], reason: 'r' }),
      () => null
    ]
    const { policy } = guarded({ decide: () => answers[Math.floor(rng() * answers.length)]!() as never })
    for (let i = 0; i < 500; i++) {
      const d = decide(policy, req(), here(Math.floor(rng() * 5)), view, rng)
      expect(['local', 'forward', 'reject']).toContain(d.action)
      if (d.action === 'forward') expect(d.peers.every(p => p === 'A' || p === 'B')).toBe(true)
    }
  })

  it('guards afterProbe(): a throw, or a second probe, is decided by the default from what the probes said', () => {
    const probing = (after: () => unknown): ReturnType<typeof guarded> => guarded({
      decide: (_r, _l, candidates) => ({ action: 'probe', peers: candidates.map(c => c.peerId), reason: 'ask' }),
      afterProbe: after as never
    })
    for (const [after, kind] of [[() => { throw new Error('nope') }, 'threw'], [() => ({ action: 'probe', peers: ['A'], reason: 'again' }), 'invalid']] as const) {
      const { policy, failures } = probing(after)
      const first = decide(policy, req(), busy, view, mulberry32(1))
      expect(first).toEqual({ action: 'probe', peers: ['A', 'B'], reason: 'ask' })
      // A answered idle, B's probe failed: only A can be chosen.
      const d = policy.afterProbe!(req(), busy, [{ peerId: 'A', load: { running: 0, queued: 0, capacity: 4 } }, { peerId: 'B' }], mulberry32(1))
      expect(d).toMatchObject({ action: 'forward', peers: ['A'] })
      expect(failures).toEqual([expect.objectContaining({ kind, step: 'afterProbe' })])
    }
  })

  it('tells observe() the outcome, and counts a throw from it without passing it on', () => {
    const seen: unknown[] = []
    const outcome = { function: 'echo', hops: 0, action: 'local' as const, byPolicy: true, ranOn: 'local', ok: true, status: 200, totalMs: 5, queuedMs: 0, probes: 0 }
    const listening = guarded({ decide: () => ({ action: 'local', reason: 'x' }), observe: o => { seen.push(o) } })
    listening.policy.observe!(outcome)
    expect(seen).toEqual([outcome])
    const throwing = guarded({ decide: () => ({ action: 'local', reason: 'x' }), observe: () => { throw new Error('learning broke') } })
    expect(() => throwing.policy.observe!(outcome)).not.toThrow()
    expect(throwing.failures).toEqual([{ policy: 'under-test', kind: 'threw', step: 'observe', message: 'Error: learning broke' }])
    // A policy that does not listen has no observe: the node builds no outcome for it.
    expect(guarded({ decide: () => ({ action: 'local', reason: 'x' }) }).policy.observe).toBeUndefined()
  })

  it('is not asked when a shared rule decides, and the rules say so', () => {
    let asked = 0
    const { policy } = guarded({ decide: () => { asked++; return { action: 'local', reason: 'x' } } })
    expect(decideTraced(policy, req({ bypass: true }), busy, view, mulberry32(1))).toMatchObject({ byPolicy: false })
    expect(decideTraced(policy, req(), busy, [], mulberry32(1))).toMatchObject({ byPolicy: false })
    expect(decideTraced(policy, req({ hops: 1, path: ['X'] }), busy, view, mulberry32(1))).toMatchObject({ byPolicy: false })
    expect(asked).toBe(0)
    expect(decideTraced(policy, req(), busy, view, mulberry32(1))).toEqual({ decision: { action: 'local', reason: 'x' }, byPolicy: true })
    expect(asked).toBe(1)
  })
})

describe('policy failures: counted, and logged at most once per 10 s per policy', () => {
  it('counts every failure by policy and kind, and logs the first, then one per interval with the rest held back', () => {
    let now = 0
    const { log, lines } = capturingLog()
    const failures = createPolicyFailures({ log, now: () => now })
    const fail = (policy: string, kind: PolicyFailure['kind']): void => { failures.record({ policy, kind, step: 'decide', message: 'boom' }) }
    for (let i = 0; i < 100; i++) { now += 50; fail('jsq-d', i % 4 === 0 ? 'invalid' : 'threw') }
    fail('other', 'threw')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ policy: 'jsq-d', kind: 'invalid', step: 'decide', error: 'boom', msg: 'scheduling policy jsq-d: decide() answered an invalid decision; the call was decided by the default policy instead' })
    expect(lines[1]).toMatchObject({ policy: 'other' })
    now += 10_000
    fail('jsq-d', 'threw')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatchObject({ policy: 'jsq-d', kind: 'threw', suppressed: 99 })
    expect(failures.counts()).toEqual(expect.arrayContaining([
      { policy: 'jsq-d', kind: 'invalid', count: 25 },
      { policy: 'jsq-d', kind: 'threw', count: 76 },
      { policy: 'other', kind: 'threw', count: 1 }
    ]))
    failures.record({ policy: 'third', kind: 'threw', step: 'observe', message: 'x' })
    expect(lines[3]!.msg).toBe('scheduling policy third: observe() threw; ignored')
  })
})

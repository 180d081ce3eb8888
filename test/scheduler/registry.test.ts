import { describe, expect, it } from 'vitest'
import {
  createDefaultPolicy, DEFAULT_POLICY, describePolicy, parsePolicy, POLICY_NAMES, PolicyError, policyFromOriginal, toOriginal
} from '../../src/scheduler/registry.js'
import { checkParam, parseDurationMs, parseParam } from '../../src/scheduler/params.js'

describe('parsePolicy (CLI and env syntax)', () => {
  it('parses every policy by its name alone, with defaults (round-robin-master needs its master)', () => {
    for (const name of POLICY_NAMES.filter(n => n !== 'round-robin-master')) {
      const policy = parsePolicy(name)
      expect(policy.name).toBe(name)
      expect(policy.maxHops).toBe(1)
    }
    expect(() => parsePolicy('round-robin-master')).toThrow(/round-robin-master: master is required/)
  })

  it('parses the documented examples', () => {
    const t = parsePolicy('threshold:F=2,T=3,loss=true,maxHops=1')
    expect(t.label).toBe('PowerOfNScheduler(2, 3, true, 1)')
    expect(t.parameters).toEqual({ F: 2, T: 3, loss: true, maxHops: 1 })
    expect(parsePolicy('power-of-d:d=3').parameters).toEqual({ d: 3, maxHops: 1 })
    expect(parsePolicy('local:loss=true').label).toBe('NoScheduler(true)')
    expect(parsePolicy('random:maxHops=2').label).toBe('ForwardScheduler(2)')
    expect(parsePolicy('least-loaded:margin=0.1,staleMs=1000').parameters).toEqual({ margin: 0.1, staleMs: 1000, maxHops: 1 })
    expect(parsePolicy('threshold:T=2,tauMs=100ms').label).toBe('PowerOfNSchedulerTau(1, 2, false, 1, 100ms)')
  })

  it('is lenient about spaces and casing, not about values', () => {
    expect(parsePolicy('  Threshold : f = 2 , t = 1 ').parameters).toMatchObject({ F: 2, T: 1 })
    expect(parsePolicy('local:').name).toBe('local')
    expect(parsePolicy('local:loss=TRUE').parameters.loss).toBe(true)
  })

  it('explains every bad input, naming the parameter and what it accepts', () => {
    const bad: Array<[string, string | RegExp]> = [
      ['', /must be name\[:key=value,...\] with name one of: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master/],
      ['fastest', 'unknown scheduling policy "fastest"; one of: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master, learning'],
      ['PowerOfNScheduler', /the original's PowerOfNScheduler is "threshold" here/],
      ['power-of-d:d=0', 'power-of-d: d must be an integer from 1 to 16 (got "0")'],
      ['power-of-d:d=two', 'power-of-d: d must be an integer from 1 to 16 (got "two")'],
      ['power-of-d:d=2.5', /d must be an integer/],
      ['random:maxHops=9', 'random: maxHops must be an integer from 0 to 8 (got "9")'],
      ['local:loss=maybe', 'local: loss must be true or false (got "maybe")'],
      ['least-loaded:margin=-1', /margin must be a number from 0 to 1 \(got "-1"\)/],
      ['threshold:tauMs=1h', /tauMs must be a duration from 0ms to 60000ms/],
      ['power-of-d:k=3', /power-of-d: unknown parameter "k"; accepted: d \(an integer from 1 to 16: distinct candidates sampled per call\); maxHops/],
      ['power-of-d:d', 'power-of-d: expected key=value, got "d"'],
      ['power-of-d:d=2,d=3', 'power-of-d: parameter d given twice'],
      ['power-of-d:d=2,', /expected key=value, got ""/]
    ]
    for (const [spec, message] of bad) {
      expect(() => parsePolicy(spec), spec).toThrow(PolicyError)
      expect(() => parsePolicy(spec), spec).toThrow(message)
    }
  })

  it('accepts no parameter it would ignore: with maxHops=0 the policy is never asked', () => {
    const ignored: Array<[string, string | RegExp]> = [
      ['power-of-d:d=3,maxHops=0', 'power-of-d: with maxHops=0 no call is handed off, so the policy is never asked and d would be ignored; give maxHops 1 or more, or use "local"'],
      ['threshold:F=2,T=2,tauMs=100,maxHops=0', /threshold: with maxHops=0 .* F, T, tauMs would be ignored/],
      ['threshold:tauMs=100,maxHops=0', /tauMs would be ignored/],
      ['least-loaded:margin=0.1,staleMs=10,maxHops=0', /least-loaded: .* margin, staleMs would be ignored/]
    ]
    for (const [spec, message] of ignored) expect(() => parsePolicy(spec), spec).toThrow(message)
    expect(() => policyFromOriginal({ name: 'PowerOfNScheduler', parameters: ['1', '2', 'true', '0'] })).toThrow(/F, T would be ignored/)
    // Left out, the defaults are harmless; loss is still honoured by the hop limit's "run here".
    expect(parsePolicy('power-of-d:maxHops=0').maxHops).toBe(0)
    expect(parsePolicy('least-loaded:maxHops=0').maxHops).toBe(0)
    expect(parsePolicy('threshold:loss=true,maxHops=0').parameters).toMatchObject({ loss: true, maxHops: 0 })
    expect(parsePolicy('random:maxHops=0').maxHops).toBe(0)
  })

  it('makes a fresh instance each time, so round-robin cursors are not shared', () => {
    expect(parsePolicy('round-robin')).not.toBe(parsePolicy('round-robin'))
  })
})

describe('policyFromOriginal (POST /configuration/scheduler)', () => {
  it('takes the original body as it is', () => {
    const policy = policyFromOriginal(JSON.parse('{"name": "PowerOfNScheduler", "parameters": ["1","2","true","1"]}'))
    expect(policy.name).toBe('threshold')
    expect(policy.label).toBe('PowerOfNScheduler(1, 2, true, 1)')
    expect(policy.parameters).toEqual({ F: 1, T: 2, loss: true, maxHops: 1 })
    expect(policy.maxHops).toBe(1)
  })

  it('maps each original name to its policy', () => {
    expect(policyFromOriginal({ name: 'NoScheduler', parameters: ['false'] }).label).toBe('NoScheduler(false)')
    expect(policyFromOriginal({ name: 'NoScheduler', parameters: ['t'] }).parameters.loss).toBe(true)
    expect(policyFromOriginal({ name: 'ForwardScheduler', parameters: ['1'] }).label).toBe('ForwardScheduler(1)')
    const tau = policyFromOriginal({ name: 'PowerOfNSchedulerTau', parameters: ['1', '2', 'true', '1', '100ms'] })
    expect(tau.label).toBe('PowerOfNSchedulerTau(1, 2, true, 1, 100ms)')
    expect(tau.parameters.tauMs).toBe(100)
    expect(policyFromOriginal({ name: 'PowerOfNSchedulerTau', parameters: ['1', '2', 'true', '1', '1.5s'] }).parameters.tauMs).toBe(1500)
  })

  it('also takes our own names, with key=value parameters', () => {
    expect(policyFromOriginal({ name: 'power-of-d', parameters: ['d=3'] }).parameters.d).toBe(3)
    expect(policyFromOriginal({ name: 'least-loaded' }).name).toBe('least-loaded')
  })

  it('takes the original\'s LearningScheduler [numTaskTypes], as the learning policy', () => {
    const policy = policyFromOriginal(JSON.parse('{"name": "LearningScheduler", "parameters": ["2"]}'))
    expect(policy.name).toBe('learning')
    expect(policy.label).toBe('LearningScheduler(2)')
    expect(policy.parameters).toMatchObject({ taskTypes: 2, maxHops: 1 })
    expect(() => policyFromOriginal({ name: 'LearningScheduler', parameters: ['0'] })).toThrow(/LearningScheduler: taskTypes must be an integer from 1 to 16 \(got "0"\) \(taskTypes is the original's numTaskTypes\)/)
    expect(() => policyFromOriginal({ name: 'LearningScheduler', parameters: [] })).toThrow('LearningScheduler takes 1 parameter [taskTypes] (got 0)')
    expect(() => parsePolicy('LearningScheduler')).toThrow(/unknown scheduling policy "LearningScheduler" \(the original's LearningScheduler is "learning" here\)/)
  })

  it('explains bad bodies and parameters', () => {
    const bad: Array<[unknown, string | RegExp]> = [
      [null, /must be \{"name": string, "parameters": \[string, \.\.\.\]\} \(got null\)/],
      [[], /must be \{"name"/],
      [{ parameters: [] }, /name must be a scheduler name/],
      [{ name: 'NoScheduler', parameters: 'true' }, 'parameters must be an array of strings (got "true")'],
      [{ name: 'NoScheduler', parameters: [{}] }, 'parameters[0] must be a string (got {})'],
      [{ name: 'NoScheduler', parameters: [] }, 'NoScheduler takes 1 parameter [loss] (got 0)'],
      [{ name: 'PowerOfNScheduler', parameters: ['1', '2'] }, 'PowerOfNScheduler takes 4 parameters [F, T, loss, maxHops] (got 2)'],
      [{ name: 'PowerOfNScheduler', parameters: ['1', '2', 'yes', '1'] }, 'PowerOfNScheduler: loss must be true or false (got "yes")'],
      [{ name: 'PowerOfNScheduler', parameters: ['0', '2', 'true', '1'] }, /PowerOfNScheduler: F must be an integer from 1 to 16/],
      [{ name: 'PowerOfNScheduler', parameters: ['1', '2', 'true', '20'] }, /maxHops must be an integer from 0 to 8 \(got "20"\)/],
      [{ name: 'PowerOfNSchedulerTau', parameters: ['1', '2', 'true', '1', 'soon'] }, /tauMs must be a duration/],
      [{ name: 'Fastest', parameters: [] }, /unknown scheduling policy "Fastest"/]
    ]
    for (const [body, message] of bad) {
      expect(() => policyFromOriginal(body), JSON.stringify(body)).toThrow(PolicyError)
      expect(() => policyFromOriginal(body), JSON.stringify(body)).toThrow(message)
    }
  })

  it('round-trips through toOriginal where the original had an equivalent', () => {
    for (const spec of ['local:loss=true', 'random:maxHops=3', 'threshold:F=2,T=3,loss=true', 'threshold:T=2,tauMs=250']) {
      const policy = parsePolicy(spec)
      const original = toOriginal(policy)
      expect(original, spec).toBeDefined()
      expect(policyFromOriginal(original).label).toBe(policy.label)
    }
    expect(toOriginal(parsePolicy('threshold'))).toBeUndefined()
    expect(toOriginal(parsePolicy('least-loaded'))).toBeUndefined()
    expect(toOriginal(parsePolicy('threshold:F=1,T=2,loss=true,maxHops=1'))).toEqual({ name: 'PowerOfNScheduler', parameters: ['1', '2', 'true', '1'] })
  })
})

describe('describePolicy and the default', () => {
  it('describes a policy as plain JSON', () => {
    const d = describePolicy(parsePolicy('power-of-d:d=3,maxHops=2'))
    expect(JSON.parse(JSON.stringify(d))).toEqual({ name: 'power-of-d', label: 'PowerOfD(d=3, maxHops=2)', parameters: { d: 3, maxHops: 2 }, maxHops: 2 })
  })

  it('defaults to least-loaded', () => {
    expect(DEFAULT_POLICY).toBe('least-loaded')
    expect(createDefaultPolicy().name).toBe('least-loaded')
    expect(describePolicy(createDefaultPolicy())).toEqual(describePolicy(parsePolicy(DEFAULT_POLICY)))
  })

  it('reads PeerIds, keeping the form peerId.toString() gives', () => {
    const spec = { kind: 'peer-id', about: 'a node' } as const
    const id = '12D3KooWALCRPo7rcA5TtfcBPjnhFqTrU1iDWDQnnFzYGnAoAaUt'
    expect(parseParam('p', 'master', spec, ` ${id} `)).toBe(id)
    expect(parseParam('p', 'master', spec, 'bafzaajaiaejcab5em4px7lxeavlfkhsfjvvfzlhm3ija7b5rjfozoge34drnddu5')).toBe(id)
    expect(checkParam('p', 'master', spec, id)).toBe(id)
    for (const bad of ['', '10.0.0.1', `${id}x`, 'x'.repeat(500)]) {
      expect(() => parseParam('p', 'master', spec, bad), bad).toThrow(/p: master must be a libp2p PeerId/)
    }
    expect(() => checkParam('p', 'master', spec, 7)).toThrow(PolicyError)
  })

  it('reads Go durations', () => {
    expect(parseDurationMs('0')).toBe(0)
    expect(parseDurationMs('250')).toBe(250)
    expect(parseDurationMs('1m30s')).toBe(90_000)
    expect(parseDurationMs('500us')).toBe(0.5)
    expect(parseDurationMs('10')).toBe(10)
    expect(parseDurationMs('ms')).toBeUndefined()
    expect(parseDurationMs('10x')).toBeUndefined()
    expect(parseDurationMs('-5ms')).toBeUndefined()
  })
})

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { functionBody } from '../../../src/cli/experiment/mesh.js'
import { ExperimentSpecError, parseExperimentSpec } from '../../../src/cli/experiment/spec.js'
import { parseDeployBody } from '../../../src/functions/openfaas.js'
import { readTaskLabels } from '../../../src/functions/settings.js'
import { p2pfaas } from '../../helpers/run-cli.js'

/** The experiment spec: every field checked, unknown keys refused with the nearest known one. */

const TINY = `
name: tiny
nodes:
  - count: 2
    slots: 1
tasks:
  - name: short
    service: { distribution: exponential, mean: 100ms }
    deadline: 300ms
rho: [0.5, 1.0]
policies:
  - local:loss=true
  - name: PowerOfNScheduler
    parameters: [1, 1, true, 1]
duration: 2s
repetitions: 2
seed: 7
`

/** The problems of a spec, one line each (or [] when it is fine). */
async function problems (text: string, file = 'spec.yml'): Promise<string[]> {
  try {
    await parseExperimentSpec(text, file)
    return []
  } catch (err) {
    if (err instanceof ExperimentSpecError) return err.issues
    throw err
  }
}

const edit = (from: string, to: string): string => { expect(TINY).toContain(from); return TINY.replace(from, to) }

describe('an experiment spec', () => {
  it('reads a good spec into nodes, task types, loads and policies, defaults filled in', async () => {
    const spec = await parseExperimentSpec(TINY, '/some/where/tiny.yml')
    expect(spec).toMatchObject({
      name: 'tiny', function: 'experiment', durationMs: 2000, warmupMs: 0, repetitions: 2, seed: 7, timeoutMs: 30_000, cap: 1000,
      load: { kind: 'rho', values: [0.5, 1] }, meanServiceMs: 100
    })
    expect(spec.nodes).toEqual([
      { index: 0, group: 0, slots: 1, queue: 0, speed: 1, weight: 1 },
      { index: 1, group: 0, slots: 1, queue: 0, speed: 1, weight: 1 }
    ])
    expect(spec.tasks).toEqual([{ index: 0, name: 'short', service: { distribution: 'exponential', meanMs: 100 }, deadlineMs: 300, share: 1 }])
    expect(spec.policies).toEqual([
      { label: 'local:loss=true', request: { policy: 'local:loss=true' } },
      { label: 'PowerOfNScheduler(1, 1, true, 1)', request: { name: 'PowerOfNScheduler', parameters: ['1', '1', 'true', '1'] } }
    ])
  })

  it('takes every distribution, the label shorthand, shares as weights, and rates instead of a sweep', async () => {
    const spec = await parseExperimentSpec(`
nodes: [{ count: 1, slots: 2, queue: 3, speed: 2, rate: 5 }, { rate: 1 }]
tasks:
  - { name: a, service: exp:10ms, share: 3 }
  - { name: b, service: fixed:20ms }
  - { name: c, service: { distribution: uniform, min: 10ms, max: 30ms } }
  - { name: d, service: { distribution: lognormal, mean: 2.5ms, cv: 0.5 } }
  - { name: e, service: { distribution: deterministic, value: 1s } }
policies: [{ name: threshold, parameters: { F: 2, T: 1 }, label: t }]
duration: 1m
warmup: 5
`, 'rates.yml')
    expect(spec.name).toBe('rates')
    expect(spec.load).toEqual({ kind: 'rate' })
    expect(spec.nodes.map(n => n.rate)).toEqual([5, 1])
    expect(spec.tasks.map(t => t.service)).toEqual([
      { distribution: 'exponential', meanMs: 10 }, { distribution: 'deterministic', meanMs: 20 },
      { distribution: 'uniform', minMs: 10, maxMs: 30, meanMs: 20 }, { distribution: 'lognormal', meanMs: 2.5, cv: 0.5 },
      { distribution: 'deterministic', meanMs: 1000 }
    ])
    expect(spec.tasks.map(t => t.share)).toEqual([3 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7])
    expect(spec.policies).toEqual([{ label: 't', request: { name: 'threshold', parameters: ['F=2', 'T=1'] } }])
    expect(spec).toMatchObject({ durationMs: 60_000, warmupMs: 5000 })
  })

  it('refuses unknown fields, at any depth, naming the nearest known one', async () => {
    expect(await problems(edit('repetitions: 2', 'repetitons: 2'))).toEqual([
      expect.stringMatching(/^repetitons: unknown field; did you mean "repetitions"\? fields here: name, .*repetitions/)
    ])
    expect(await problems(edit('    slots: 1', '    slot: 1'))).toEqual([expect.stringMatching(/^nodes\[0\]\.slot: unknown field; did you mean "slots"\?/)])
    expect(await problems(edit('mean: 100ms', 'maen: 100ms'))).toEqual(expect.arrayContaining([expect.stringMatching(/^tasks\[0\]\.service\.maen: unknown field; did you mean "mean"\?/)]))
    // Nothing near: no wrong hint, the list of fields instead.
    expect(await problems(edit('seed: 7', 'colour: red\nseed: 7'))).toEqual([expect.stringMatching(/^colour: unknown field; fields here: /)])
  })

  it('says what is wrong with a value, field by field, all at once', async () => {
    const issues = await problems(edit('    slots: 1', '    slots: 0\n    speed: -1').replace('duration: 2s', 'duration: soon').replace('rho: [0.5, 1.0]', 'rho: [0.5, -1]'))
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/^nodes\[0\]\.slots: must be at least 1/),
      expect.stringMatching(/^nodes\[0\]\.speed: must be at least 0.01/),
      expect.stringMatching(/^duration: must be a duration like "500ms"/),
      expect.stringMatching(/^rho\[1\]: must be above 0/)
    ]))
    expect(await problems(edit('distribution: exponential, mean: 100ms', 'distribution: uniform, mean: 100ms'))).toEqual([
      'tasks[0].service.mean: is not a field of the uniform distribution, which takes min, max',
      'tasks[0].service.min: is required for the uniform distribution',
      'tasks[0].service.max: is required for the uniform distribution'
    ])
    expect(await problems(edit('distribution: exponential', 'distribution: poisson'))).toEqual([expect.stringMatching(/^tasks\[0\]\.service\.distribution: must be one of "exponential", "deterministic", "uniform", "lognormal"/)])
    expect(await problems('nodes: [}')).toEqual([expect.stringMatching(/^spec\.yml: /)])
    expect(await problems('- a list')).toEqual([expect.stringMatching(/must be a YAML mapping/)])
  })

  it('checks what fields say together: rates against a sweep, names given twice, a policy the catalog refuses', async () => {
    expect(await problems(edit('    slots: 1', '    slots: 1\n    rate: 4'))).toEqual(['nodes[0].rate: rate and rho exclude each other: rho sweeps the load, rate fixes it; give one'])
    expect(await problems(edit('rho: [0.5, 1.0]\n', ''))).toEqual([expect.stringMatching(/^nodes\[0\]: needs a rate/)])
    expect(await problems(edit('  - local:loss=true', '  - local:loss=true\n  - local:loss=true'))).toEqual(['policies[1]: "local:loss=true" is listed twice; give one of them a label'])
    expect(await problems(edit('  - local:loss=true', '  - least-loded'))).toEqual([expect.stringMatching(/^policies\[0\]: unknown scheduling policy "least-loded".*\(did you mean "least-loaded"\?\)$/)])
    expect(await problems(edit('parameters: [1, 1, true, 1]', 'parameters: [1, 1]'))).toEqual(['policies[1]: PowerOfNScheduler takes 4 parameters [F, T, loss, maxHops] (got 2)'])
    expect(await problems(edit('name: PowerOfNScheduler', 'name: PowerOfNSchedular'))).toEqual([expect.stringMatching(/did you mean "PowerOfNScheduler"\?/)])
    expect(await problems(edit('duration: 2s', 'duration: 2s\nmodules: [./no-such-policy.js]'))).toEqual([expect.stringMatching(/^modules: \S*\/no-such-policy\.js: no such file/)])
  })

  it('refuses a run too large to keep in memory', async () => {
    expect(await problems(edit('duration: 2s', 'duration: 1h').replace('rho: [0.5, 1.0]', 'rho: [10]').replace('mean: 100ms', 'mean: 1ms'))).toEqual([expect.stringMatching(/^duration: one run would make about \d+ calls; at most 2000000/)])
  })
})

describe('the function an experiment deploys', () => {
  it('carries each task type\'s deadline, so a learning policy is rewarded for the deadlines the experiment measures', async () => {
    const spec = await parseExperimentSpec(edit('    deadline: 300ms\n', '    deadline: 300ms\n  - name: loose\n    service: fixed:1s\n') + 'timeout: 5s\n', 'spec.yml')
    const body = functionBody(spec, spec.nodes[0]!)
    expect(body.labels['p2pfaas.task-deadlines']).toBe('300ms,5000ms')
    expect(readTaskLabels(parseDeployBody({ ...body, image: 'x' }).labels)).toEqual({ deadlinesMs: [300, 5000] })
    // No deadline anywhere: no label, any success is rewarded.
    const none = await parseExperimentSpec(edit('    deadline: 300ms\n', ''), 'spec.yml')
    expect(functionBody(none, none.nodes[0]!).labels['p2pfaas.task-deadlines']).toBeUndefined()
  })
})

describe('p2pfaas experiment with a bad spec', () => {
  let dir = ''
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pfaas-spec-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  it('exits 2 listing every problem, and starts nothing', async () => {
    const file = join(dir, 'bad.yml')
    await writeFile(file, edit('repetitions: 2', 'repetitons: 2').replace('    slots: 1', '    slots: 0'))
    const r = await p2pfaas(['experiment', file, '--out', join(dir, 'out')])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`p2pfaas experiment: ${file}: 2 problems:`)
    expect(r.stderr).toContain('  nodes[0].slots: must be at least 1 (got 0)')
    expect(r.stderr).toContain('  repetitons: unknown field; did you mean "repetitions"?')
    expect(r.stderr).toContain('docs/experiments.md')
  })

  it('exits 2 for a missing file and for flags that do not go together; --dry-run prints the plan', async () => {
    expect((await p2pfaas(['experiment', join(dir, 'none.yml')])).code).toBe(2)
    const file = join(dir, 'good.yml')
    await writeFile(file, TINY)
    const both = await p2pfaas(['experiment', file, '--url', 'http://127.0.0.1:1', '--url', 'http://127.0.0.1:2', '--peer', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--url or with --peer, not both/)
    const count = await p2pfaas(['experiment', file, '--url', 'http://127.0.0.1:1'])
    expect(count.code).toBe(2)
    expect(count.stderr).toMatch(/--url names 1 node\(s\); the spec has 2/)
    const peer = await p2pfaas(['experiment', file, '--peer', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'])
    expect(peer.code).toBe(2)
    expect(peer.stderr).toMatch(/may name one policy/)
    const dry = await p2pfaas(['experiment', file, '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout.toString()).toMatch(/ρ 0\.500: 10\.0 calls\/s in all; model P_B no cooperation 33\.33%, pooled 20\.00%/)
    expect(dry.stdout.toString()).toMatch(/8 run\(s\)/)
  })
})

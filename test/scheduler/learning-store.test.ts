import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLearningKeeper } from '../../src/scheduler/learning/keeper.js'
import { createLearning, learnerOf, type LearningPolicy } from '../../src/scheduler/learning/policy.js'
import { createTableStore, TABLE_FILE } from '../../src/scheduler/learning/table-store.js'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import { waitFor } from '../helpers/mesh.js'
import { cand, here, req } from './fixtures.js'
import { mulberry32 } from './rng.js'

/** The learning table on disk, in a real temp dir: saved atomically, restored, reset, and never fatal when damaged. */

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pfaas-learning-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/** A logger whose lines the test reads. */
function capturingLog (): { log: pino.Logger, lines: Array<{ level: number, msg: string, [k: string]: unknown }> } {
  const lines: Array<{ level: number, msg: string }> = []
  const log = pino({ level: 'debug', base: undefined }, { write: (line: string) => { lines.push(JSON.parse(line)) } })
  return { log, lines }
}
const WARN = 40

/** A policy that has learnt something: two calls decided, the first rewarded. */
function trained (params: Parameters<typeof createLearning>[0] = {}): LearningPolicy {
  const policy = createLearning({ taskTypes: 2, ...params })
  for (const id of ['a', 'b']) policy.decide(req({ callId: id, taskType: 1 }), here(1), [cand('P', 0)], mulberry32(1))
  policy.observe!({ function: 'f', callId: 'a', hops: 0, action: 'local', byPolicy: true, ok: true, status: 200, totalMs: 5, probes: 0 })
  return policy
}

describe('the table store', () => {
  it('saves and loads a table: a round trip, atomically, readable by the node only', async () => {
    const store = createTableStore({ dataDir: join(dir, 'not-yet') })
    const table = learnerOf(trained())!.exportTable()
    expect(Object.keys(table.states)).toHaveLength(1)
    await store.save(table)
    expect(await store.load()).toEqual({ kind: 'table', table })
    expect(await readdir(join(dir, 'not-yet'))).toEqual([TABLE_FILE])
    expect((await stat(store.path)).mode & 0o777).toBe(0o600)
    const saved = JSON.parse(await readFile(store.path, 'utf8'))
    expect(saved).toMatchObject({ format: 1, shape: { encoding: 'v1', taskTypes: 2, actions: ['reject', 'local', 'probe', 'peer-0', 'peer-1'] } })
  })

  it('has nothing to load when nothing was saved', async () => {
    expect(await createTableStore({ dataDir: dir }).load()).toEqual({ kind: 'none' })
  })

  it('sets a damaged file aside as *.corrupt-<time>, and loads nothing from it', async () => {
    const store = createTableStore({ dataDir: dir, now: () => Date.UTC(2025, 0, 2, 3, 4, 5, 6) })
    await writeFile(store.path, '{"format": 1, "shape": {"encod')
    const loaded = await store.load()
    expect(loaded).toMatchObject({ kind: 'set-aside', reason: expect.stringMatching(/^not JSON/) })
    const aside = `${store.path}.corrupt-2025-01-02T03-04-05-006Z`
    expect(loaded.kind === 'set-aside' && loaded.movedTo).toBe(aside)
    expect(await readdir(dir)).toEqual([`${TABLE_FILE}.corrupt-2025-01-02T03-04-05-006Z`])
    expect(await readFile(aside, 'utf8')).toBe('{"format": 1, "shape": {"encod')
  })

  it('sets aside JSON that is not a table: rows of the wrong length, values that are not numbers, unknown fields', async () => {
    const store = createTableStore({ dataDir: dir })
    const table = learnerOf(trained())!.exportTable()
    const base = { format: 1, savedAt: 'x', ...table }
    const bad: Array<[unknown, RegExp]> = [
      [{ ...base, states: { s: [1, 2] } }, /states.s: has 2 values for 5 actions/],
      [{ ...base, states: { s: [0, 0, 'x', 0, 0] } }, /states.s.2/],
      [{ ...base, averageReward: null }, /averageReward/],
      [{ ...base, format: 2 }, /format/],
      [{ ...base, extra: true }, /extra|unrecognized/i],
      [[], /expected object/i]
    ]
    for (const [content, reason] of bad) {
      await writeFile(store.path, JSON.stringify(content))
      const loaded = await store.load()
      expect(loaded.kind, JSON.stringify(content).slice(0, 80)).toBe('set-aside')
      expect(loaded.kind === 'set-aside' && loaded.reason).toMatch(reason)
      await rm(loaded.kind === 'set-aside' ? loaded.movedTo : '', { force: true })
    }
  })
})

describe('the learning keeper', () => {
  it('restores the stored table into a new learning policy, and saves it again at stop', async () => {
    const { log, lines } = capturingLog()
    const store = createTableStore({ dataDir: dir })
    const first = trained()
    await store.save(learnerOf(first)!.exportTable())
    const keeper = createLearningKeeper({ store, log })
    const next = createLearning({ taskTypes: 2 })
    await keeper.adopt(next)
    expect(learnerOf(next)!.exportTable().states).toEqual(learnerOf(first)!.exportTable().states)
    expect(keeper.stats()).toMatchObject({ states: 1, taskTypes: 2 })
    expect(lines.some(l => l.msg === 'learning table restored')).toBe(true)
    // Learn more, then stop: what is unsaved is saved.
    next.decide(req({ callId: 'c', taskType: 0 }), here(0), [cand('P', 0)], mulberry32(2))
    next.decide(req({ callId: 'd', taskType: 0 }), here(0), [cand('P', 0)], mulberry32(3))
    next.observe!({ function: 'f', callId: 'c', hops: 0, action: 'local', byPolicy: true, ok: true, status: 200, totalMs: 5, probes: 0 })
    await keeper.stop()
    const loaded = await store.load()
    expect(loaded.kind === 'table' && loaded.table.updates).toBe(2)
  })

  it('saves a while after learning, not at every call', async () => {
    const store = createTableStore({ dataDir: dir })
    const keeper = createLearningKeeper({ store, log: capturingLog().log, saveDelayMs: 50 })
    const policy = createLearning()
    await keeper.adopt(policy)
    for (let i = 0; i < 50; i++) policy.decide(req({ callId: `c${i}` }), here(0), [cand('P', 0)], mulberry32(i))
    for (let i = 0; i < 49; i++) policy.observe!({ function: 'f', callId: `c${i}`, hops: 0, action: 'local', byPolicy: true, ok: true, status: 200, totalMs: 5, probes: 0 })
    expect((await store.load()).kind).toBe('none')
    const saved = await waitFor('the debounced save', async () => { const l = await store.load(); return l.kind === 'table' ? l.table : undefined }, 5000)
    expect(saved.updates).toBe(49)
    await keeper.stop()
  })

  it('starts afresh with a warning, never a crash, when the stored table is damaged or unreadable', async () => {
    const { log, lines } = capturingLog()
    const store = createTableStore({ dataDir: dir })
    await writeFile(store.path, 'garbage')
    const keeper = createLearningKeeper({ store, log })
    const policy = createLearning()
    await keeper.adopt(policy)
    expect(keeper.stats()).toMatchObject({ states: 0 })
    const warning = lines.find(l => l.level === WARN)
    expect(warning).toMatchObject({ msg: 'the stored learning table is damaged: set aside, learning starts afresh', movedTo: expect.stringContaining('.corrupt-') })
    expect((await readdir(dir)).filter(f => f.includes('.corrupt-'))).toHaveLength(1)
    await keeper.stop()

    // A directory where the file should be: not readable as a table, and not something to move.
    await mkdir(join(dir, 'other'))
    await mkdir(join(dir, 'other', TABLE_FILE))
    const unreadable = createLearningKeeper({ store: createTableStore({ dataDir: join(dir, 'other') }), log })
    await unreadable.adopt(createLearning())
    expect(lines.filter(l => l.level === WARN).at(-1)?.msg).toBe('could not read the learning table: learning starts afresh')
  })

  it('sets aside a table learnt with other settings rather than misread it', async () => {
    const { log, lines } = capturingLog()
    const store = createTableStore({ dataDir: dir })
    await store.save(learnerOf(trained({ taskTypes: 2 }))!.exportTable())
    const keeper = createLearningKeeper({ store, log })
    await keeper.adopt(createLearning({ taskTypes: 3 }))
    expect(keeper.stats()).toMatchObject({ states: 0, taskTypes: 3 })
    expect(lines.find(l => l.level === WARN)).toMatchObject({ reason: 'it was learnt with taskTypes=2, the policy in force has 3' })
    expect((await readdir(dir)).filter(f => f.includes('.other-settings-'))).toHaveLength(1)
  })

  it('resets: the table in force and the stored one', async () => {
    const store = createTableStore({ dataDir: dir })
    const keeper = createLearningKeeper({ store, log: capturingLog().log })
    const policy = createLearning()
    await keeper.adopt(policy)
    for (const id of ['a', 'b']) policy.decide(req({ callId: id }), here(1), [cand('P', 0)], mulberry32(1))
    policy.observe!({ function: 'f', callId: 'a', hops: 0, action: 'local', byPolicy: true, ok: true, status: 200, totalMs: 5, probes: 0 })
    await keeper.flush()
    expect(keeper.stats()?.states).toBe(1)
    expect((await store.load()).kind).toBe('table')
    const after = await keeper.reset()
    expect(after).toMatchObject({ states: 0, averageReward: 0, decisions: 2 })
    expect((await store.load()).kind).toBe('none')
  })

  it('keeps counting across policies, for counters that only go up; a policy that does not learn has no stats', async () => {
    const keeper = createLearningKeeper({ store: createTableStore({ dataDir: dir }), log: capturingLog().log })
    await keeper.adopt(trained())
    expect(keeper.totals()).toEqual({ decisions: 2, explored: expect.any(Number), rewards: 1, rewardSum: 1 })
    await keeper.adopt(createLeastLoaded())
    expect(keeper.stats()).toBeUndefined()
    await keeper.adopt(trained())
    expect(keeper.totals()).toMatchObject({ decisions: 4, rewards: 2, rewardSum: 2 })
    await keeper.stop()
  })
})

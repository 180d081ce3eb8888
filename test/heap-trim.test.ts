import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Session } from 'node:inspector/promises'
import { beforeEach, describe, expect, it } from 'vitest'
import { createHeapTrim, heapFigures } from '../src/heap-trim.js'

const MiB = 1024 * 1024

/**
 * The state a burst leaves: the heap grown by tens of MiB of short-lived objects, which an
 * ordinary collection frees while V8 keeps their pages. This process's real V8 heap is the subject.
 */
function burst (collected = true): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  let held: Array<{ i: number, s: string, a: number[] }> | undefined = []
  for (let i = 0; i < 400_000; i++) held.push({ i, s: `record ${i}`, a: [i, i + 1, i + 2] })
  expect(held.length).toBe(400_000)
  held = undefined
  if (collected) gc()
}

/**
 * The state a fleet joining through a node leaves: old-generation pages each holding a little that
 * lives on among much that died, which an ordinary collection keeps (it frees only empty pages).
 * Returns what lives on; the pages stay sparse while it is held.
 */
function fragment (): unknown[] {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  let all: Array<{ i: number, s: string, a: number[] }> | undefined = []
  for (let i = 0; i < 200_000; i++) all.push({ i, s: `record ${i}`, a: [i, i + 1, i + 2] })
  // Promoted to the old generation, as records that outlive a join burst are.
  gc()
  const kept = all.filter((_, i) => i % 16 === 0)
  all = undefined
  gc()
  return kept
}

describe('heap trim', () => {
  // Each case starts from a compact heap, whatever the one before left.
  beforeEach(async () => {
    const session = new Session()
    session.connect()
    await session.post('HeapProfiler.collectGarbage')
    session.disconnect()
  })

  it.each([
    ['free pages an ordinary collection kept', true],
    ['garbage not collected yet', false]
  ])('gives a burst\'s heap back once the node is idle, and only once (%s)', async (_, collected) => {
    // The burst itself keeps this process busy; the CPU rule has its own test below.
    const trim = createHeapTrim({ busySince: () => false, slackBytes: 8 * MiB, quietCpu: Infinity })
    // Nothing grew since it was made: no collection.
    await trim.check()
    expect(trim.trims).toBe(0)
    burst(collected)
    const before = heapFigures()
    await trim.check()
    expect(trim.trims).toBe(1)
    const after = heapFigures()
    expect(after.total).toBeLessThan(before.total - 8 * MiB)
    // Nothing grew since: another look costs no collection.
    await trim.check()
    expect(trim.trims).toBe(1)
  })

  it('gives back sparse old-generation pages (kept free space) although the heap grew less than the slack', async () => {
    // The slack rule is off: only what the heap holds free can make it trim.
    const trim = createHeapTrim({ busySince: () => false, slackBytes: Infinity, freeBytes: 4 * MiB, quietCpu: Infinity })
    const kept = fragment()
    const before = heapFigures()
    expect(before.oldFree).toBeGreaterThan(4 * MiB)
    await trim.check()
    expect(trim.trims).toBe(1)
    expect(heapFigures().oldFree).toBeLessThan(before.oldFree - 4 * MiB)
    // What lived on is still there; the pages it sat in sparsely are not.
    expect(kept).toHaveLength(200_000 / 16)
    // Nothing grew since: another look costs no collection.
    await trim.check()
    expect(trim.trims).toBe(1)
  })

  it('leaves a busy node alone: its heap is for its calls', async () => {
    const trim = createHeapTrim({ busySince: () => true, slackBytes: 8 * MiB, quietCpu: Infinity })
    burst()
    await trim.check()
    expect(trim.trims).toBe(0)
  })

  it('waits while the process is busy without calls (a fleet forming), then trims', async () => {
    // The process's CPU clock and the wall clock are the edge here, stepped by hand; the heap is real.
    let t = 0
    let cpuUs = 0
    const trim = createHeapTrim({ busySince: () => false, slackBytes: 8 * MiB, now: () => t, cpuMicros: () => cpuUs })
    burst()
    // 10 s, of which 1 s on the CPU: 10 % of a core, busier than the 3 % an idle node stays under.
    t += 10_000; cpuUs += 1_000_000
    await trim.check()
    expect(trim.trims).toBe(0)
    // The next 10 s at 0.5 %: idle, and the heap still holds the burst.
    t += 10_000; cpuUs += 50_000
    await trim.check()
    expect(trim.trims).toBe(1)
  })

  it('looks on its own timer, and stops', async () => {
    let looks = 0
    const trim = createHeapTrim({ busySince: () => { looks++; return true }, everyMs: 20 })
    trim.start()
    await expect.poll(() => looks, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    trim.stop()
    const seen = looks
    // One more interval's worth of event-loop turns: a stopped trim no longer looks.
    await new Promise(resolve => setTimeout(resolve, 60))
    expect(looks).toBe(seen)
  })
})

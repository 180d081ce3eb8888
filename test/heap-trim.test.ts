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

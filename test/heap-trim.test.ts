import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
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
  it.each([
    ['free pages an ordinary collection kept', true],
    ['garbage not collected yet', false]
  ])('gives a burst\'s heap back once the node is idle, and only once (%s)', async (_, collected) => {
    const trim = createHeapTrim({ busySince: () => false, slackBytes: 8 * MiB })
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
    const trim = createHeapTrim({ busySince: () => true, slackBytes: 8 * MiB })
    burst()
    await trim.check()
    expect(trim.trims).toBe(0)
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

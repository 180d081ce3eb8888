import { describe, expect, it } from 'vitest'
import { EMPTY_LOAD } from '../../src/mesh/load.js'
import { MeshView } from '../../src/mesh/view.js'

function fakeClock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1000
  return { now: () => t, advance: (ms) => { t += ms } }
}

describe('MeshView', () => {
  it('adds a peer on its first load, updates it, expires it after silence', () => {
    const clock = fakeClock()
    const view = new MeshView({ expireAfterMs: 3000, now: clock.now })
    const events: string[] = []
    view.addEventListener('peer:join', e => events.push(`join ${e.detail.peerId}`))
    view.addEventListener('peer:update', e => events.push(`update ${e.detail.peerId}`))
    view.addEventListener('peer:leave', e => events.push(`leave ${e.detail.peerId} ${e.detail.reason}`))

    view.applyLoad('A', { load: EMPTY_LOAD, incarnation: 1n })
    clock.advance(2000)
    view.applyLoad('B', { load: { functions: [{ name: 'echo', queued: 0, running: 1, capacity: 4 }], totals: { queued: 0, running: 1, capacity: 4 } }, incarnation: 1n })
    expect(view.get('B')?.functions).toEqual(['echo'])
    expect(view.ageOf('A')).toBe(2000)

    clock.advance(1001)
    view.sweep()
    expect(view.get('A')).toBeUndefined()
    expect(view.get('B')).toBeDefined()
    view.applyLoad('B', { load: EMPTY_LOAD, incarnation: 1n })
    clock.advance(3000)
    view.sweep()
    expect(view.get('B')).toBeDefined()
    clock.advance(1)
    view.sweep()
    expect(view.size).toBe(0)
    expect(events).toEqual(['join A', 'join B', 'leave A expired', 'update B', 'leave B expired'])
  })

  it('tracks connection state, including links that came before the first load', () => {
    const view = new MeshView({ expireAfterMs: 3000, now: fakeClock().now })
    view.setLink('A', { connected: true, addrs: ['/ip4/10.0.0.1/tcp/4001'] })
    expect(view.get('A')).toBeUndefined()
    view.applyLoad('A', { load: EMPTY_LOAD, incarnation: 1n })
    expect(view.get('A')).toMatchObject({ connected: true, addrs: ['/ip4/10.0.0.1/tcp/4001'] })
    expect(view.connected().map(p => p.peerId)).toEqual(['A'])
    view.setLink('A', { connected: false })
    expect(view.get('A')).toMatchObject({ connected: false, addrs: ['/ip4/10.0.0.1/tcp/4001'] })
    expect(view.connected()).toEqual([])
  })

  it('keeps where a peer listens over the ephemeral address of a connection it opened to us', () => {
    const view = new MeshView({ expireAfterMs: 3000, now: fakeClock().now })
    view.setLink('A', { connected: true, addrsIfUnknown: ['/ip4/10.0.0.1/tcp/51234'] })
    view.applyLoad('A', { load: EMPTY_LOAD, incarnation: 1n })
    expect(view.get('A')!.addrs).toEqual(['/ip4/10.0.0.1/tcp/51234'])
    view.setLink('A', { connected: true, addrs: ['/ip4/10.0.0.1/tcp/4001'] })
    // A second (duplicate) connection, which A dialled: its remote port is not where A listens.
    view.setLink('A', { connected: true, addrsIfUnknown: ['/ip4/10.0.0.1/tcp/51999'] })
    expect(view.get('A')!.addrs).toEqual(['/ip4/10.0.0.1/tcp/4001'])
  })

  it('does not let strangers that connect and leave grow its memory', () => {
    const view = new MeshView({ expireAfterMs: 3000, now: fakeClock().now })
    for (let i = 0; i < 1000; i++) {
      view.setLink(`S${i}`, { connected: true })
      view.setLink(`S${i}`, { connected: false })
    }
    expect((view as any).links.size).toBe(0)
    expect(view.size).toBe(0)
  })

  it('sweeps on its own timer once started, and stop() clears it', async () => {
    const view = new MeshView({ expireAfterMs: 60, sweepIntervalMs: 10 })
    view.start()
    view.applyLoad('A', { load: EMPTY_LOAD, incarnation: 1n })
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(view.get('A')).toBeUndefined()
    view.stop()
  })
})

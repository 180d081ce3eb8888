import { describe, expect, it } from 'vitest'
import { MeshView } from '../../src/mesh/view.js'
import type { MemberInfo } from '../../src/mesh/record.js'

function fakeClock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1000
  return { now: () => t, advance: (ms) => { t += ms } }
}

const member = (peerId: string, functions: Array<{ name: string, capacity: number }> = [], incarnation = 1n): MemberInfo =>
  ({ peerId, incarnation, seq: 1n, addrs: [`/ip4/10.0.0.1/tcp/4001`], functions, links: [], leaving: false })

describe('MeshView', () => {
  it('holds live members: joined and updated from their records, removed when unreachable', () => {
    const view = new MeshView({ now: fakeClock().now })
    const events: string[] = []
    view.addEventListener('peer:join', e => events.push(`join ${e.detail.peerId}`))
    view.addEventListener('peer:update', e => events.push(`update ${e.detail.peerId}`))
    view.addEventListener('peer:leave', e => events.push(`leave ${e.detail.peerId} ${e.detail.reason}`))
    view.upsertMember(member('A'))
    view.upsertMember(member('B', [{ name: 'echo', capacity: 4 }]))
    expect(view.get('B')?.functions).toEqual(['echo'])
    expect(view.get('B')?.load).toEqual({ functions: [{ name: 'echo', capacity: 4, running: 0, queued: 0 }], totals: { queued: 0, running: 0, capacity: 4 } })
    view.upsertMember(member('B', [{ name: 'echo', capacity: 2 }]))
    view.removeMember('A')
    expect(view.size).toBe(1)
    expect(events).toEqual(['join A', 'join B', 'update B', 'leave A unreachable'])
  })

  it('answers one function\'s load on a member, and nothing for a stranger or a function it lacks', () => {
    const view = new MeshView({ now: fakeClock().now })
    view.upsertMember(member('A', [{ name: 'echo', capacity: 4 }]))
    view.noteFunctionLoad('A', 'echo', { queued: 1, running: 4, capacity: 4 })
    expect(view.functionLoad('A', 'echo')).toEqual({ name: 'echo', queued: 1, running: 4, capacity: 4 })
    expect(view.functionLoad('A', 'sleep')).toBeUndefined()
    expect(view.functionLoad('B', 'echo')).toBeUndefined()
  })

  it('knows a load only once it is reported: unknown is never idle', () => {
    const clock = fakeClock()
    const view = new MeshView({ now: clock.now })
    view.upsertMember(member('A', [{ name: 'echo', capacity: 4 }]))
    expect(view.get('A')?.loadAt).toBeUndefined()
    expect(view.ageOf('A')).toBeUndefined()
    view.applyLoad('A', { functions: [{ name: 'echo', capacity: 4, running: 3, queued: 1 }], totals: { running: 3, queued: 1, capacity: 4 } }, clock.now())
    clock.advance(700)
    expect(view.ageOf('A')).toBe(700)
    // A pulse with no load: what it said still holds, and is that fresh.
    view.touch('A', clock.now())
    expect(view.ageOf('A')).toBe(0)
    expect(view.get('A')?.load.totals.running).toBe(3)
    // Its record changes (a redeploy): the counts it reported for functions it still has stay.
    view.upsertMember(member('A', [{ name: 'echo', capacity: 4 }, { name: 'sleep', capacity: 1 }]))
    expect(view.get('A')?.load.functions).toEqual([{ name: 'echo', capacity: 4, running: 3, queued: 1 }, { name: 'sleep', capacity: 1, running: 0, queued: 0 }])
    // A restart (a new incarnation) forgets them.
    view.upsertMember(member('A', [{ name: 'echo', capacity: 4 }], 2n))
    expect(view.get('A')?.loadAt).toBeUndefined()
  })

  it('dates the load a call answer reports, for a member that is not a neighbour', () => {
    const clock = fakeClock()
    const view = new MeshView({ now: clock.now })
    view.upsertMember(member('A', [{ name: 'echo', capacity: 4 }]))
    view.noteFunctionLoad('A', 'echo', { running: 4, queued: 2, capacity: 4 })
    expect(view.get('A')).toMatchObject({ loadAt: clock.now(), load: { totals: { running: 4, queued: 2, capacity: 4 } } })
  })

  it('keeps connection and link facts that came before the member did', () => {
    const view = new MeshView({ now: fakeClock().now })
    view.setConnected('A', true)
    view.setLink('A', true)
    expect(view.get('A')).toBeUndefined()
    view.upsertMember(member('A'))
    expect(view.get('A')).toMatchObject({ connected: true, link: true })
    expect(view.connected().map(p => p.peerId)).toEqual(['A'])
    view.setConnected('A', false)
    expect(view.connected()).toEqual([])
  })

  it('does not let strangers that connect and leave grow its memory', () => {
    const view = new MeshView({ now: fakeClock().now })
    for (let i = 0; i < 1000; i++) {
      view.setConnected(`S${i}`, true)
      view.setConnected(`S${i}`, false)
    }
    expect((view as any).pending.size).toBe(0)
    expect(view.size).toBe(0)
  })
})

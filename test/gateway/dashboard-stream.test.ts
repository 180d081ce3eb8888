import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { registerDashboardRoutes } from '../../src/gateway/dashboard.js'
import { waitFor } from '../helpers/mesh.js'
import type { MeshObserver } from '../../src/observe/observer.js'

/**
 * The dashboard's live stream over real HTTP, against an observer that counts who watches: every
 * open stream is fed, a stream past the limit is refused, and closing them releases the observer.
 */

const apps: FastifyInstance[] = []
afterEach(async () => { for (const app of apps.splice(0)) await app.close() })

function fakeObserver (): { observer: MeshObserver, watching: () => number, snapshots: () => number } {
  let watching = 0
  let snapshots = 0
  const observer = {
    watch: () => {
      watching++
      let released = false
      return () => { if (!released) { released = true; watching-- } }
    },
    snapshot: () => ({ n: ++snapshots }),
    poll: async () => {}
  }
  return { observer: observer as unknown as MeshObserver, watching: () => watching, snapshots: () => snapshots }
}

/** Opens the stream and counts the snapshot events it receives. */
async function openStream (url: string): Promise<{ events: () => number, close: () => void }> {
  const controller = new AbortController()
  const res = await fetch(`${url}/api/dashboard/stream`, { signal: controller.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  let events = 0
  void (async () => {
    const decoder = new TextDecoder()
    const reader = res.body!.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        events += decoder.decode(value, { stream: true }).split('event: snapshot\n').length - 1
      }
    } catch {}
  })()
  return { events: () => events, close: () => { controller.abort() } }
}

describe('the dashboard live stream', () => {
  it('feeds every open stream, refuses one past the limit, and releases the observer when they close', async () => {
    const { observer, watching } = fakeObserver()
    const app = Fastify()
    apps.push(app)
    registerDashboardRoutes(app, { observer, intervalMs: 50, maxStreams: 2 })
    const url = await app.listen({ host: '127.0.0.1', port: 0 })

    const a = await openStream(url)
    const b = await openStream(url)
    await waitFor('both streams fed', () => a.events() >= 3 && b.events() >= 3, 5000, 10)
    expect(watching()).toBe(2)

    const refused = await fetch(`${url}/api/dashboard/stream`)
    expect(refused.status).toBe(503)
    expect(await refused.json()).toMatchObject({ code: 'OVERLOADED' })

    a.close()
    await waitFor('a released', () => watching() === 1, 5000, 10)
    const before = b.events()
    await waitFor('b still fed', () => b.events() >= before + 2, 5000, 10)

    b.close()
    await waitFor('b released', () => watching() === 0, 5000, 10)
    // A new stream after all closed is fed again (the shared timer starts anew).
    const c = await openStream(url)
    await waitFor('c fed', () => c.events() >= 2, 5000, 10)
    c.close()
    await waitFor('c released', () => watching() === 0, 5000, 10)
  })

  it('ends open streams when the server closes', async () => {
    const { observer, watching } = fakeObserver()
    const app = Fastify()
    registerDashboardRoutes(app, { observer, intervalMs: 50 })
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    const a = await openStream(url)
    await waitFor('fed', () => a.events() >= 1, 5000, 10)
    await app.close()
    expect(watching()).toBe(0)
  })
})

import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'
import { createLan, type Host, type HostProcess, type Lan } from '../helpers/lan.js'
import { waitFor } from '../helpers/mesh.js'
import type { MdnsDiscoveryInit, MdnsStats } from '../../src/mesh/mdns.js'

/**
 * The discovery in real processes on a LAN of network namespaces, with one more host that only
 * listens and logs every mDNS packet the LAN carries. Every figure asserted here is counted on
 * that wire or reported by the processes themselves. Runs from dist/ (`npm run build` first).
 */

const TAG = '_p2pfaas._udp.local' // MDNS_SERVICE_TAG in src/mesh/libp2p.ts
const HOST = repoPath('dist', 'test', 'helpers', 'mdns-host.js')
const LISTENER = repoPath('dist', 'test', 'helpers', 'mdns-listener.js')
const STOCK = repoPath('test', 'helpers', 'stock-mdns.mjs')
const GARBAGE = repoPath('test', 'helpers', 'mdns-garbage.mjs')

interface Packet { t: number, from: string, kind: 'query' | 'response', bytes: number, questions: string[], ptrs: string[] }
interface Event { ev: string, t: number, [key: string]: any }
interface Proc { host: Host, hp: HostProcess, events: Event[] }

let lan: Lan | undefined
afterEach(async () => { await lan?.destroy(); lan = undefined })

function run (host: Host, script: string, arg: object): Proc {
  const hp = host.spawn(process.execPath, [script, JSON.stringify(arg)])
  const proc: Proc = { host, hp, events: [] }
  createInterface({ input: hp.proc.stdout! }).on('line', line => {
    try { proc.events.push(JSON.parse(line)) } catch {}
  })
  return proc
}

const send = (p: Proc, command: string): void => { p.hp.proc.stdin!.write(command + '\n') }

async function event (p: Proc, match: (e: Event) => boolean, what: string, timeoutMs = 5000): Promise<Event> {
  return await waitFor(`${p.host.name}: ${what}`, () => p.events.find(match), timeoutMs, 10)
    .catch(err => { throw new Error(`${err.message}\n${p.hp.output.slice(-20).join('\n')}`) })
}

async function stats (p: Proc): Promise<MdnsStats> {
  const before = p.events.length
  send(p, 'stats')
  return (await event(p, e => e.ev === 'stats' && p.events.indexOf(e) >= before, 'stats')).stats
}

const packets = (listener: Proc): Packet[] => listener.events.filter(e => e.kind != null) as unknown as Packet[]
const between = (list: Packet[], from: number, to: number): Packet[] => list.filter(p => p.t >= from && p.t < to)
const sum = (all: MdnsStats[], key: keyof MdnsStats): number => all.reduce((n, s) => n + s[key], 0)
const until = async (t: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, t - Date.now()))) }

async function startListener (l: Lan): Promise<Proc> {
  const listener = run(l.addHost(), LISTENER, {})
  await event(listener, e => e.ev === 'ready', 'listener ready', 10_000)
  return listener
}

function startHost (l: Lan, init: Partial<MdnsDiscoveryInit>, membership: 'on-discovery' | 'isolated' | 'member'): Proc {
  const host = l.addHost()
  return run(host, HOST, { ip: host.ip, init: { serviceTag: TAG, ...init }, membership })
}

async function go (nodes: Proc[]): Promise<number[]> {
  await Promise.all(nodes.map(async n => await event(n, e => e.ev === 'ready', 'ready', 20_000)))
  for (const n of nodes) send(n, 'start')
  return await Promise.all(nodes.map(async n => (await event(n, e => e.ev === 'started', 'started')).t))
}

describe('mDNS discovery on a LAN of namespaces', () => {
  // Cases 1 and 2: N hosts started together. Each counts as a member once it has found a peer.
  for (const n of [8, 16]) {
    it(`${n} hosts: first discovery < 1 s, O(N) packets at start, only re-announcements once members, ~3 answers for a late joiner`, async () => {
      lan = createLan(0)
      const listener = await startListener(lan)
      // Queries back off to 5 s; members re-announce every 4.8 to 7.2 s, so none before t0 + 5.8 s.
      const interval = 5000
      const init = { maxQueryIntervalMs: interval, announceIntervalMs: 6000 }
      const nodes = Array.from({ length: n }, () => startHost(lan!, init, 'on-discovery'))
      const starts = await go(nodes)
      const t0 = Math.min(...starts)

      const firsts = await Promise.all(nodes.map(async p => await event(p, e => e.ev === 'peer', 'first peer', 5000)))
      const firstMs = firsts.map(e => Math.round(e.sinceStartMs))
      expect(Math.max(...firstMs)).toBeLessThan(1000)

      await until(t0 + interval)
      const atFive = await Promise.all(nodes.map(stats))
      await until(t0 + 3 * interval)
      const atFifteen = await Promise.all(nodes.map(stats))
      const wire = packets(listener)
      const startup = between(wire, t0, t0 + interval)
      const steady = between(wire, t0 + interval, t0 + 3 * interval)
      const queriesAtStart = startup.filter(p => p.kind === 'query').length
      // Start: one query each, two announcements each, a few answers per query.
      expect(queriesAtStart).toBe(n)
      expect(startup.length).toBeLessThanOrEqual(8 * n)
      expect(sum(atFive, 'answersSent')).toBeLessThanOrEqual(3 * n)
      expect(sum(atFive, 'announcementsSent')).toBe(2 * n)
      // Members: no query, no answer; each re-announces once or twice in these 10 s.
      expect(steady.filter(p => p.kind === 'query')).toHaveLength(0)
      expect(sum(atFifteen, 'answersSent')).toBe(sum(atFive, 'answersSent'))
      expect(sum(atFifteen, 'queriesSent')).toBe(n)
      expect(steady.length).toBeGreaterThanOrEqual(n)
      expect(steady.length).toBeLessThanOrEqual(2 * n)
      // Every host heard every other one (the announcements reach everybody).
      for (const p of nodes) expect(new Set(p.events.filter(e => e.ev === 'peer').map(e => e.id)).size).toBe(n - 1)

      // A late joiner next to N quiet members: its query gets a few answers, not N.
      const before = await Promise.all(nodes.map(stats))
      const joiner = startHost(lan, init, 'on-discovery')
      const [joinedAt] = await go([joiner])
      const joinerFirst = await event(joiner, e => e.ev === 'peer', 'joiner first peer', 2000)
      await until(joinedAt! + 1000)
      const after = await Promise.all(nodes.map(stats))
      const answers = sum(after, 'answersSent') - sum(before, 'answersSent')
      const suppressed = sum(after, 'answersSuppressed') - sum(before, 'answersSuppressed')
      expect(joinerFirst.sinceStartMs).toBeLessThan(500)
      expect(sum(after, 'queriesReceived') - sum(before, 'queriesReceived')).toBe(n)
      expect(answers).toBeGreaterThanOrEqual(1)
      // Three, plus any whose timers fired within the few ms it takes a response to be seen.
      expect(answers).toBeLessThanOrEqual(5)
      expect(answers + suppressed).toBe(n)
      // Its answerers are in a mesh and say so: a newcomer joins through them, not another newcomer.
      const heardByJoiner = joiner.events.filter(e => e.ev === 'peer')
      expect(heardByJoiner.length).toBeGreaterThanOrEqual(1)
      expect(heardByJoiner.every(e => e.member === true)).toBe(true)

      const bytes = (list: Packet[]): number => list.reduce((b, p) => b + p.bytes, 0)
      console.log(JSON.stringify({
        hosts: n,
        firstDiscoveryMs: { min: Math.min(...firstMs), median: firstMs.sort((a, b) => a - b)[n >> 1], max: Math.max(...firstMs) },
        startup5s: { packets: startup.length, perHost: +(startup.length / n).toFixed(2), queries: queriesAtStart, answers: sum(atFive, 'answersSent'), suppressed: sum(atFive, 'answersSuppressed'), announcements: sum(atFive, 'announcementsSent'), bytes: bytes(startup) },
        steadyPer5s: { packets: steady.length / 2, perHost: +(steady.length / 2 / n).toFixed(2), bytesPerSecond: Math.round(bytes(steady) / 10) },
        lateJoiner: { firstPeerMs: Math.round(joinerFirst.sinceStartMs), answers, suppressed }
      }))
    }, 90_000)
  }

  it('interop: stock @libp2p/mdns finds our node and our node finds it', async () => {
    lan = createLan(0)
    const ours = startHost(lan, { maxQueryIntervalMs: 1000 }, 'on-discovery')
    const stockHost = lan.addHost()
    const stock = run(stockHost, STOCK, { ip: stockHost.ip, tag: TAG, interval: 1000 })
    const [ourId, stockId] = await Promise.all([
      event(ours, e => e.ev === 'ready', 'ready', 20_000).then(e => e.id as string),
      event(stock, e => e.ev === 'ready', 'ready', 20_000).then(e => e.id as string)
    ])
    send(ours, 'start')
    const seenByStock = await event(stock, e => e.ev === 'peer' && e.id === ourId, 'stock discovers ours')
    const seenByOurs = await event(ours, e => e.ev === 'peer' && e.id === stockId, 'ours discovers stock')
    expect(seenByStock.addrs).toContain(`/ip4/${ours.host.ip}/tcp/4001`)
    expect(seenByOurs.addrs).toEqual([`/ip4/${stockHost.ip}/tcp/4002`])
    // Stock queries every second and knows no known-answer suppression: we keep answering it.
    const answered = (await stats(ours)).answersSent
    await waitFor('another answer to stock', async () => (await stats(ours)).answersSent > answered, 3000, 100)
    // stop() leaves no timer and no socket: the process (which never calls exit) ends by itself.
    send(ours, 'stop')
    const code = await Promise.race([ours.hp.exited, new Promise(resolve => setTimeout(() => resolve('still running'), 3000))])
    expect(code).toBe(0)
  }, 60_000)

  it('members answer first and say so; isolated hosts answer only later, and without the member mark', async () => {
    lan = createLan(0)
    const listener = await startListener(lan)
    // Isolated hosts query at 0, 1, 3, 7 and 15 s: the seeker asks in the quiet between 7 and 15 s,
    // so every answer after its query answers it.
    const member = startHost(lan, {}, 'member')
    const loners = Array.from({ length: 3 }, () => startHost(lan!, { maxQueryIntervalMs: 8000 }, 'isolated'))
    const seeker = startHost(lan, { advertise: false, maxQueryIntervalMs: 60_000 }, 'isolated')
    await event(seeker, e => e.ev === 'ready', 'ready', 20_000)
    await go([member, ...loners])
    const queriesFrom = (h: Proc): Packet[] => packets(listener).filter(p => p.from === h.host.ip && p.kind === 'query')
    await waitFor('four queries from each isolated host', () => loners.every(l => queriesFrom(l).length >= 4), 12_000, 20)
    // Their answers (170 to 270 ms after) pass before the seeker asks.
    await until(Math.max(...loners.map(l => queriesFrom(l)[3]!.t)) + 700)
    send(seeker, 'start')
    const asked = await waitFor('the seeker\'s query', () => queriesFrom(seeker)[0], 3000, 10)
    const heard = await waitFor('answers from the member and two loners', () => {
      const peers = seeker.events.filter(e => e.ev === 'peer')
      return new Set(peers.map(e => e.addrs[0])).size >= 3 ? peers : undefined
    }, 3000, 10)
    expect(loners.flatMap(queriesFrom).filter(q => Math.abs(q.t - asked.t) < 600)).toEqual([])
    const memberAddr = `/ip4/${member.host.ip}/tcp/4001`
    expect(heard.some(e => e.addrs[0] === memberAddr)).toBe(true)
    for (const e of heard) expect(e.member).toBe(e.addrs[0] === memberAddr)
    // A loner's answer waits 150 ms more than anyone's can: 170 ms at the least, seen from the wire.
    // The listener is a process of its own: on a busy machine it may log an answer after the seeker
    // has reported it, so it is given the seeker's own bound to catch up. Only answers before the
    // seeker asks again (1 s later, as it has no link) count: nobody else asks meanwhile.
    const lonerAnswersNow = (): Packet[] => {
      const until = Math.min(asked.t + 3000, queriesFrom(seeker)[1]?.t ?? Infinity)
      return packets(listener).filter(p => p.kind === 'response' && p.t > asked.t && p.t < until && loners.some(l => l.host.ip === p.from))
    }
    const lonerAnswers = await waitFor('two loners\' answers on the wire', () => lonerAnswersNow().length >= 2 ? lonerAnswersNow() : undefined, 3000, 10)
    expect(lonerAnswers.length).toBeGreaterThanOrEqual(2)
    for (const a of lonerAnswers) expect(a.t - asked.t).toBeGreaterThanOrEqual(165)
  }, 60_000)

  it('members\' answers do not silence an isolated host\'s: a newcomer that cannot join their mesh still finds the other newcomer', async () => {
    // Three members of a mesh (of another swarm key, say) answer every query first. The loner's
    // answer comes later; it is the seeker's only way to another node like itself, so it is sent.
    lan = createLan(0)
    const listener = await startListener(lan)
    const members = Array.from({ length: 3 }, () => startHost(lan!, {}, 'member'))
    const loner = startHost(lan, { maxQueryIntervalMs: 60_000 }, 'isolated')
    const seeker = startHost(lan, { advertise: false, maxQueryIntervalMs: 60_000 }, 'isolated')
    await event(seeker, e => e.ev === 'ready', 'ready', 20_000)
    await go([...members, loner])
    const queriesFrom = (h: Proc): Packet[] => packets(listener).filter(p => p.from === h.host.ip && p.kind === 'query')
    // The loner asks at 0, 1, 3 and 7 s: the seeker asks after its third query's answers have passed.
    await waitFor('three queries from the loner', () => queriesFrom(loner).length >= 3, 10_000, 20)
    await until(queriesFrom(loner)[2]!.t + 700)
    send(seeker, 'start')
    const asked = await waitFor('the seeker\'s query', () => queriesFrom(seeker)[0], 3000, 10)
    const lonerAddr = `/ip4/${loner.host.ip}/tcp/4001`
    const found = await event(seeker, e => e.ev === 'peer' && e.addrs[0] === lonerAddr, 'the seeker hears the loner', 3000)
    expect(found.member).toBe(false)
    // The listener stamps a packet when it has read it, a little after the seeker may have.
    const by = found.t + 100
    const answersBefore = (from: Proc): Packet[] => packets(listener).filter(p => p.from === from.host.ip && p.kind === 'response' && p.t > asked.t && p.t < by)
    // The members answered first, all three, and the loner still did.
    for (const m of members) expect(answersBefore(m)).toHaveLength(1)
    expect(answersBefore(loner)).toHaveLength(1)
    // All of it answered the seeker's first query: nobody else asked meanwhile, and the seeker had not asked again.
    expect(packets(listener).filter(p => p.kind === 'query' && p.t > asked.t && p.t < by && p.from !== seeker.host.ip)).toEqual([])
    expect(queriesFrom(seeker).filter(q => q.t < found.t)).toHaveLength(1)
  }, 60_000)

  it('an isolated host backs off 1, 2, 4, 4 s; known answers silence the responder; a member is quiet; isolation again restarts both', async () => {
    lan = createLan(0)
    const listener = await startListener(lan)
    const responder = startHost(lan, {}, 'member')
    await go([responder])
    await waitFor('responder announced twice', () => packets(listener).filter(p => p.from === responder.host.ip && p.kind === 'response').length === 2, 3000, 10)
    const responderName = packets(listener).find(p => p.from === responder.host.ip && p.kind === 'response')!.ptrs[0]!

    const seeker = startHost(lan, { advertise: false, maxQueryIntervalMs: 4000 }, 'isolated')
    await go([seeker])
    const queries = (): Packet[] => packets(listener).filter(p => p.from === seeker.host.ip && p.kind === 'query')
    const answersFrom = (): Packet[] => packets(listener).filter(p => p.from === responder.host.ip && p.kind === 'response')
    await waitFor('five queries', () => queries().length >= 5, 15_000, 20)
    const first5 = queries().slice(0, 5)
    const gaps = first5.slice(1).map((q, i) => Math.round(q.t - first5[i]!.t))
    expect(gaps.map(g => Math.round(g / 1000))).toEqual([1, 2, 4, 4])
    for (const [i, g] of gaps.entries()) expect(Math.abs(g - [1000, 2000, 4000, 4000][i]!)).toBeLessThan(250)
    // The first query knew nobody and got one answer; the later ones list the responder, which stays silent.
    expect(first5[0]!.ptrs).toEqual([])
    for (const q of first5.slice(1)) expect(q.ptrs).toEqual([responderName])
    expect(answersFrom()).toHaveLength(3)
    expect((await event(seeker, e => e.ev === 'peer', 'seeker finds responder')).addrs).toEqual([`/ip4/${responder.host.ip}/tcp/4001`])
    const s1 = await stats(responder)
    expect(s1.answersSent).toBe(1)
    expect(s1.answersSuppressed).toBe(4)
    expect(s1.queriesReceived).toBe(5)

    // A member does not query.
    send(seeker, 'member')
    const memberAt = (await event(seeker, e => e.ev === 'member', 'member')).t
    await until(memberAt + 5000)
    expect(queries().filter(q => q.t > memberAt)).toHaveLength(0)

    // Isolated again: a query within a poll (1 s), with no known answers, so answered; backoff from 1 s.
    send(seeker, 'isolate')
    const isolatedAt = (await event(seeker, e => e.ev === 'isolated', 'isolated')).t
    await waitFor('three queries after isolation', () => queries().filter(q => q.t > isolatedAt).length >= 3, 6000, 20)
    const again = queries().filter(q => q.t > isolatedAt)
    expect(again[0]!.t - isolatedAt).toBeLessThan(1100)
    expect(again[0]!.ptrs).toEqual([])
    expect(Math.round((again[1]!.t - again[0]!.t) / 100)).toBe(10)
    expect(Math.round((again[2]!.t - again[1]!.t) / 100)).toBe(20)
    expect(again[1]!.ptrs).toEqual([responderName])
    expect((await stats(responder)).answersSent).toBe(2)

    // query() asks at once and starts the backoff over.
    await until(again[2]!.t + 1200)
    send(seeker, 'query')
    const queriedAt = (await event(seeker, e => e.ev === 'queried', 'queried')).t
    await waitFor('query() and the next one', () => queries().filter(q => q.t >= queriedAt - 5).length >= 2, 3000, 20)
    const asked = queries().filter(q => q.t >= queriedAt - 5)
    expect(asked[0]!.t - queriedAt).toBeLessThan(50)
    expect(Math.round((asked[1]!.t - asked[0]!.t) / 100)).toBe(10)
    console.log(JSON.stringify({ backoffGapsMs: gaps, afterIsolationMs: again.map(q => Math.round(q.t - isolatedAt)), responder: await stats(responder) }))
  }, 60_000)

  it('survives garbage and hostile packets and reports only the valid peer', async () => {
    lan = createLan(0)
    const ours = startHost(lan, {}, 'member')
    await go([ours])
    const sender = run(lan.addHost(), GARBAGE, { tag: TAG })
    const sent = await event(sender, e => e.ev === 'sent', 'garbage sent', 20_000)
    await event(ours, e => e.ev === 'peer' && e.id === sent.good && e.addrs.includes('/ip4/10.0.0.9/tcp/4002'), 'valid peer at its new port')
    const heard = ours.events.filter(e => e.ev === 'peer')
    expect(heard.map(e => e.id)).toEqual([sent.good, sent.good, sent.good])
    expect(heard.map(e => e.addrs)).toEqual([['/ip4/10.0.0.9/tcp/4001'], ['/ip4/10.0.0.9/tcp/4001'], ['/ip4/10.0.0.9/tcp/4002']])
    const s = await stats(ours)
    expect(s.responsesReceived).toBeGreaterThanOrEqual(6)
    expect(ours.hp.proc.exitCode).toBeNull()
  }, 60_000)
})

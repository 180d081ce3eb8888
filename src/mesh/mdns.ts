import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { isPrivate } from '@libp2p/utils'
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import multicastDns from 'multicast-dns'
import { createKeyedWarn, type Logger } from '../log.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/**
 * mDNS that is only used to FIND the mesh. @libp2p/mdns has every node query every interval and
 * every node answer every query, so a LAN carries N^2 packets per interval. Here a node queries
 * only while it is isolated (backing off), at most a few nodes answer any query (random delay,
 * known-answer and duplicate-answer suppression, RFC 6762 s7), and members merely re-announce
 * now and then so that meshes formed apart still merge. Wire-compatible with @libp2p/mdns: a PTR
 * question for the tag; answers are a PTR `<tag> -> <name>.<tag>` plus TXT `dnsaddr=<addr>/p2p/<id>`.
 */

export interface MdnsDiscoveryInit {
  serviceTag: string
  /** false: never answer or announce (a CLI that only looks). Default true. */
  advertise?: boolean
  /** Longest wait between two queries while isolated (ms): the node's --mdns-interval. */
  maxQueryIntervalMs?: number
  /** How often a node re-announces itself, with +-20 % jitter (ms). */
  announceIntervalMs?: number
  /** Delay before answering a query, uniform in [min, max] ms (RFC 6762 s6, shared records). */
  answerDelayMs?: [number, number]
  /**
   * Do not answer a query once this many responses for the tag were seen since it arrived, from
   * nodes like this one: members for a member, isolated nodes for an isolated one.
   */
  suppressAfterAnswers?: number
  /** Added to the answer delay while this node has no mesh: members answer first, so a newcomer hears them first. */
  isolatedAnswerDelayMs?: number
  rng?: () => number
  /** multicast-dns socket options, for tests; default 224.0.0.251:5353. */
  socket?: { port?: number, ip?: string, interface?: string }
  /** A repeated socket error is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface MdnsDiscoveryComponents {
  peerId: PeerId
  /** Our current addresses; the private ones are advertised, with /p2p/<id>. */
  addresses: () => Multiaddr[]
  /** True while the node has no mesh: it then re-queries with backoff 1 s, 2 s, 4 s ... */
  isolated: () => boolean
  log: Logger
}

export interface MdnsStats {
  queriesSent: number
  queriesReceived: number
  answersSent: number
  answersSuppressed: number
  announcementsSent: number
  responsesReceived: number
}

/** A peer heard on the LAN; `member`: it said it is in a mesh (has a link), so a sync with it brings the membership. */
export interface HeardPeer extends PeerInfo { member: boolean }

export interface MdnsDiscoveryEvents { peer: CustomEvent<HeardPeer> }

export interface MdnsDiscovery extends TypedEventEmitter<MdnsDiscoveryEvents> {
  start(): Promise<void>
  /** Leaves no timer and no socket behind. */
  stop(): Promise<void>
  /** Ask the LAN now (the node lost its last link, or a CLI wants answers); restarts the backoff. */
  query(): void
  readonly stats: Readonly<MdnsStats>
}

export const MDNS_DEFAULTS = {
  maxQueryIntervalMs: 5000,
  announceIntervalMs: 60_000,
  answerDelayMs: [20, 120] as [number, number],
  suppressAfterAnswers: 3,
  isolatedAnswerDelayMs: 150
}
/**
 * The TXT string a node in a mesh adds to its answers (@libp2p/mdns reads only `dnsaddr=` ones): a
 * newcomer then joins through a member, not through another newcomer that knows no one.
 */
const MEMBER_TXT = 'p2pfaas=member'
const START_JITTER_MS = 50
/** RFC 6762 s8.3: announce at least twice, one second apart. */
const ANNOUNCE_REPEAT_MS = 1000
/** First backoff step, and (RFC 6762 s5.2) the least time between two of our queries. */
const FIRST_BACKOFF_MS = 1000
/** How often a member checks whether it became isolated again (no traffic, a function call). */
const MEMBER_POLL_MS = 1000
/** TTL of our records, as @libp2p/mdns sends them (s). */
const RECORD_TTL_S = 120
const [MAX_KNOWN_ANSWERS, MAX_ADDRESSES, MAX_TXT_BYTES, OWN_QUERY_IDS] = [32, 16, 255, 8]
/** Distinct address lists whose parse is kept: a LAN of 256 nodes, each with one list. */
const MAX_PARSED = 256
/** Records looked at per packet: a packet is at most 64 KiB, but nothing valid of ours needs more. */
const MAX_RECORDS = 64

type DnsRecord = multicastDns.ResponseOutgoingPacket['answers'][number]
type Timer = ReturnType<typeof setTimeout>
/** A record off the wire: nothing in it is trusted, not even its types. */
interface WireRecord { name?: unknown, type?: unknown, ttl?: unknown, data?: unknown }

const lower = (s: unknown): string | undefined => typeof s === 'string' ? s.toLowerCase() : undefined
/** A TXT record's strings, each at most one DNS string long; anything else in it is dropped. */
const txtStrings = (r: WireRecord): string[] => (Array.isArray(r.data) ? r.data : [r.data])
  .map(d => typeof d === 'string' ? Buffer.from(d) : d)
  .filter((d): d is Buffer => Buffer.isBuffer(d) && d.length <= MAX_TXT_BYTES)
  .map(d => d.toString())
const wire = (list: unknown): WireRecord[] => Array.isArray(list) ? list.slice(0, MAX_RECORDS) : []

export function createMdnsDiscovery (init: MdnsDiscoveryInit, components: MdnsDiscoveryComponents): MdnsDiscovery {
  return new MdnsDiscoveryService(init, components)
}

class MdnsDiscoveryService extends TypedEventEmitter<MdnsDiscoveryEvents> implements MdnsDiscovery {
  private readonly tag: string
  private readonly cfg: Required<Omit<MdnsDiscoveryInit, 'serviceTag' | 'socket' | 'rng' | 'warnEveryMs'>>
  private readonly rng: () => number
  private readonly log: Logger
  /** Our instance name (a DNS label): random per start, like @libp2p/mdns, lower case for DNS. */
  private fqdn = ''
  private mdns?: multicastDns.MulticastDNS
  /** One timer per purpose, never more. */
  private readonly timers: { query?: Timer, announce?: Timer, answer?: Timer } = {}
  private nextGapMs = FIRST_BACKOFF_MS
  private member = false
  private lastQueryAt = -Infinity
  private readonly ownQueryIds: number[] = []
  /**
   * Responses for the tag seen since the last query, from members of a mesh and from isolated
   * nodes. Only answers of one's own kind can stand in for one's own: a member's answer is a way
   * into a mesh, which another newcomer's is not; and a member's is no way in for a newcomer that
   * cannot join that mesh (another swarm key), so it does not silence a newcomer's answer either.
   */
  private readonly responsesSinceQuery = { member: 0, isolated: 0 }
  /** Instance names heard lately (for the known-answer section of our queries), oldest first. */
  private readonly known = new Map<string, { at: number, ttl: number }>()
  /** Address lists heard lately and the peer each names (undefined: none valid), oldest first. */
  private readonly parsed = new Map<string, PeerInfo | undefined>()
  private readonly counters: MdnsStats = { queriesSent: 0, queriesReceived: 0, answersSent: 0, answersSuppressed: 0, announcementsSent: 0, responsesReceived: 0 }

  constructor (private readonly init: MdnsDiscoveryInit, private readonly components: MdnsDiscoveryComponents) {
    super()
    this.tag = init.serviceTag.toLowerCase()
    const d = MDNS_DEFAULTS
    this.rng = init.rng ?? Math.random
    this.cfg = {
      advertise: init.advertise ?? true,
      maxQueryIntervalMs: init.maxQueryIntervalMs ?? d.maxQueryIntervalMs,
      announceIntervalMs: init.announceIntervalMs ?? d.announceIntervalMs,
      answerDelayMs: init.answerDelayMs ?? d.answerDelayMs,
      suppressAfterAnswers: init.suppressAfterAnswers ?? d.suppressAfterAnswers,
      isolatedAnswerDelayMs: init.isolatedAnswerDelayMs ?? d.isolatedAnswerDelayMs
    }
    this.log = components.log.child({ component: 'mdns' })
  }

  get stats (): Readonly<MdnsStats> { return { ...this.counters } }

  async start (): Promise<void> {
    if (this.mdns != null) return
    this.fqdn = `${randomBytes(10).toString('hex')}.${this.tag}`
    const mdns = multicastDns({ port: this.init.socket?.port, ip: this.init.socket?.ip, interface: this.init.socket?.interface })
    this.mdns = mdns
    try {
      await new Promise<void>((resolve, reject) => { mdns.once('ready', resolve); mdns.once('error', reject) })
    } catch (err) {
      this.mdns = undefined
      mdns.destroy()
      throw err
    }
    mdns.on('query', packet => { this.guard(() => { this.onQuery(packet) }) })
    mdns.on('response', packet => { this.guard(() => { this.onResponse(packet) }) })
    mdns.on('warning', err => { this.log.debug({ err: err.message }, 'mdns: bad packet or socket warning') })
    // Packets never get here (they are warnings, above); a socket error may repeat for every send.
    const warn = createKeyedWarn(this.log, { everyMs: this.init.warnEveryMs })
    mdns.on('error', (err: NodeJS.ErrnoException) => { warn(`socket ${err.code ?? err.message}`, { err: err.message }, 'mdns socket error') })
    // Announce before asking, so our own announcement does not count against our query's answers.
    this.setTimer('query', this.rng() * START_JITTER_MS, () => {
      this.announce()
      this.nextGapMs = Math.min(FIRST_BACKOFF_MS, this.cfg.maxQueryIntervalMs)
      this.queryAndBackoff()
      this.setTimer('announce', ANNOUNCE_REPEAT_MS, () => { this.announce(); this.scheduleAnnounce() })
    })
  }

  async stop (): Promise<void> {
    const mdns = this.mdns
    if (mdns == null) return
    this.mdns = undefined
    for (const timer of Object.values(this.timers)) clearTimeout(timer)
    this.timers.query = this.timers.announce = this.timers.answer = undefined
    mdns.removeAllListeners('query').removeAllListeners('response')
    await new Promise<void>(resolve => { mdns.destroy(resolve) })
    this.known.clear()
    this.parsed.clear()
    this.member = false
    this.responsesSinceQuery.member = this.responsesSinceQuery.isolated = 0
  }

  query (): void {
    if (this.mdns == null) return
    this.noteIsolation()
    this.nextGapMs = Math.min(FIRST_BACKOFF_MS, this.cfg.maxQueryIntervalMs)
    const wait = this.lastQueryAt + FIRST_BACKOFF_MS - performance.now()
    if (wait > 0) this.setTimer('query', wait, () => { this.queryAndBackoff() })
    else this.queryAndBackoff()
  }

  private guard (fn: () => void): void {
    try { fn() } catch (err: any) { this.log.debug({ err: err?.message }, 'mdns: packet ignored') }
  }

  private setTimer (purpose: keyof MdnsDiscoveryService['timers'], ms: number, fn: () => void): void {
    clearTimeout(this.timers[purpose])
    this.timers[purpose] = setTimeout(() => { this.timers[purpose] = undefined; this.guard(fn) }, ms)
  }

  /** Back from member to isolated: start the backoff over and forget who answered before. */
  private noteIsolation (): void {
    if (!this.member || !this.components.isolated()) return
    this.member = false
    this.nextGapMs = Math.min(FIRST_BACKOFF_MS, this.cfg.maxQueryIntervalMs)
    this.known.clear()
  }

  private queryTick (): void {
    if (!this.components.isolated()) {
      this.member = true
      this.setTimer('query', MEMBER_POLL_MS, () => { this.queryTick() })
      return
    }
    this.noteIsolation()
    this.queryAndBackoff()
  }

  private queryAndBackoff (): void {
    this.sendQuery()
    this.setTimer('query', this.nextGapMs, () => { this.queryTick() })
    this.nextGapMs = Math.min(this.nextGapMs * 2, this.cfg.maxQueryIntervalMs)
  }

  private scheduleAnnounce (): void {
    const ms = this.cfg.announceIntervalMs * (0.8 + 0.4 * this.rng())
    this.setTimer('announce', ms, () => { this.announce(); this.scheduleAnnounce() })
  }

  private sendQuery (): void {
    // Multicast query ids are meant to be zero and are ignored by receivers (RFC 6762 s18.1); a
    // random one lets us recognise our own query when it loops back (same host, same port).
    const id = 1 + Math.floor(this.rng() * 65535)
    this.ownQueryIds.push(id)
    if (this.ownQueryIds.length > OWN_QUERY_IDS) this.ownQueryIds.shift()
    const now = performance.now()
    const answers: DnsRecord[] = []
    for (const [name, heard] of this.known) {
      const ttl = Math.floor(heard.ttl - (now - heard.at) / 1000)
      if (ttl > heard.ttl / 2) answers.push({ name: this.tag, type: 'PTR', class: 'IN', ttl, data: name })
    }
    this.lastQueryAt = now
    this.counters.queriesSent++
    this.mdns?.query({ id, questions: [{ name: this.tag, type: 'PTR' }], answers }, err => {
      if (err != null) this.log.debug({ err: err.message }, 'mdns query not sent')
    })
  }

  private send (kind: 'answersSent' | 'announcementsSent'): void {
    const records = this.cfg.advertise ? this.records() : []
    if (records.length === 0 || this.mdns == null) return
    this.counters[kind]++
    this.mdns.respond({ answers: records }, err => {
      if (err != null) this.log.debug({ err: err.message }, 'mdns response not sent')
    })
  }

  private announce (): void { this.send('announcementsSent') }

  /** Our PTR and one TXT per private address (with /p2p/<id>), as @libp2p/mdns's gotQuery builds them. */
  private records (): DnsRecord[] {
    const id = this.components.peerId.toString()
    const txt: DnsRecord[] = []
    for (const addr of this.components.addresses()) {
      if (!isPrivate(addr) || txt.length >= MAX_ADDRESSES) continue
      const full = addr.getComponents().some(c => c.code === CODE_P2P) ? addr : addr.encapsulate(`/p2p/${id}`)
      const data = `dnsaddr=${full.toString()}`
      if (Buffer.byteLength(data) <= MAX_TXT_BYTES) txt.push({ name: this.fqdn, type: 'TXT', class: 'IN', ttl: RECORD_TTL_S, data })
    }
    if (txt.length === 0) return []
    if (!this.components.isolated()) txt.push({ name: this.fqdn, type: 'TXT', class: 'IN', ttl: RECORD_TTL_S, data: MEMBER_TXT })
    return [{ name: this.tag, type: 'PTR', class: 'IN', ttl: RECORD_TTL_S, data: this.fqdn }, ...txt]
  }

  private onQuery (packet: multicastDns.QueryPacket): void {
    if (this.ownQueryIds.includes(packet.id ?? 0)) return
    if (!wire(packet.questions).some(q => lower(q.name) === this.tag && (q.type === 'PTR' || q.type === 'ANY'))) return
    this.counters.queriesReceived++
    this.responsesSinceQuery.member = this.responsesSinceQuery.isolated = 0
    if (!this.cfg.advertise) return
    // RFC 6762 s7.1: the querier already knows us (with at least half our TTL left).
    const knowsUs = wire(packet.answers).some(a =>
      a.type === 'PTR' && lower(a.name) === this.tag && lower(a.data) === this.fqdn && Number(a.ttl) >= RECORD_TTL_S / 2)
    if (knowsUs) { this.counters.answersSuppressed++; return }
    if (this.timers.answer != null) return // one multicast answer serves every querier waiting
    const [min, max] = this.cfg.answerDelayMs
    const later = this.components.isolated() ? this.cfg.isolatedAnswerDelayMs : 0
    this.setTimer('answer', later + min + this.rng() * (max - min), () => {
      // RFC 6762 s7.4 in spirit: enough others answered already, the querier has what it needs.
      const like = this.responsesSinceQuery[this.components.isolated() ? 'isolated' : 'member']
      if (like >= this.cfg.suppressAfterAnswers) this.counters.answersSuppressed++
      else this.send('answersSent')
    })
  }

  private onResponse (packet: multicastDns.ResponsePacket): void {
    const answers = wire(packet.answers)
    const records = [...answers, ...wire(packet.additionals)]
    const ptrs = answers.filter(a => a.type === 'PTR' && lower(a.name) === this.tag && typeof a.data === 'string')
    if (ptrs.length === 0) return
    const fromMember = records.some(r => r.type === 'TXT' && txtStrings(r).includes(MEMBER_TXT))
    this.responsesSinceQuery[fromMember ? 'member' : 'isolated']++
    let foreign = false
    for (const ptr of ptrs.slice(0, 4)) {
      const name = (ptr.data as string).toLowerCase()
      if (name === this.fqdn) continue
      foreign = true
      const strings = records.filter(r => r.type === 'TXT' && lower(r.name) === name).flatMap(txtStrings)
      const txt = strings.filter(s => s.startsWith('dnsaddr='))
      if (txt.length === 0 || txt.length > MAX_ADDRESSES) continue
      const peer = this.peerOf(txt)
      if (peer == null) continue
      const found: HeardPeer = { ...peer, member: strings.includes(MEMBER_TXT) }
      const ttl = Math.min(Math.max(Number(ptr.ttl ?? RECORD_TTL_S), 0), 4500)
      this.known.delete(name)
      if (ttl === 0) continue // a goodbye
      this.known.set(name, { at: performance.now(), ttl })
      if (this.known.size > MAX_KNOWN_ANSWERS) this.known.delete(this.known.keys().next().value as string)
      this.log.debug({ peer: found.id.toString() }, 'mdns: peer found')
      this.safeDispatchEvent('peer', { detail: found })
    }
    if (foreign) this.counters.responsesReceived++
  }

  /**
   * The peer a response's `dnsaddr=` strings name. Every node's announcements and answers reach
   * every host, and on a LAN of N nodes most come again and again from the same few: each distinct
   * list is parsed once (a multiaddr each, a PeerId), and a short list of them kept.
   */
  private peerOf (txt: string[]): PeerInfo | undefined {
    const key = txt.join('\n')
    if (this.parsed.has(key)) return this.parsed.get(key)
    const peer = this.parsePeer(txt.map(s => s.slice('dnsaddr='.length)))
    if (this.parsed.size >= MAX_PARSED) this.parsed.delete(this.parsed.keys().next().value as string)
    this.parsed.set(key, peer)
    return peer
  }

  /** The peer the addresses name, or nothing unless at least one carries a valid PeerId (not ours). */
  private parsePeer (strings: string[]): PeerInfo | undefined {
    const parsed: Array<{ addr: Multiaddr, id?: string }> = []
    for (const s of strings) {
      try {
        const addr = multiaddr(s)
        parsed.push({ addr, id: addr.getComponents().findLast(c => c.code === CODE_P2P)?.value })
      } catch {}
    }
    const first = parsed.find(p => p.id != null)
    if (first?.id == null) return
    let id: PeerId
    try { id = peerIdFromString(first.id) } catch { return }
    if (id.equals(this.components.peerId)) return
    const multiaddrs = parsed.filter(p => p.id === first.id).map(p => p.addr.decapsulateCode(CODE_P2P))
    return { id, multiaddrs }
  }
}

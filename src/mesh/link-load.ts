import type { LinkSession } from './link-session.js'
import type { NodeLoad } from './load.js'
import type { LoadSource } from './load.js'
import type { Member } from './members.js'
import type { Membership } from './membership.js'
import type { MemberInfo } from './record.js'
import type { MeshView } from './view.js'
import type { LinkFrame, LoadUpdate } from '../wire/mesh.js'

const DEFAULT_LOAD_COALESCE_MS = 100

/** This node's load as a neighbour gets it: counts in the order of the record it last signed. */
export interface OwnLoad {
  recordSeq: bigint
  running: number[]
  queued: number[]
}

export const encodeLoad = (l: OwnLoad): LoadUpdate => ({ recordSeq: l.recordSeq, running: l.running, queued: l.queued })

/**
 * A neighbour's load, read against its record (names and slots come from there, so a load update
 * carries only counts). Undefined when it follows a record this node does not hold yet.
 */
export function decodeLoad (update: LoadUpdate, sender: MemberInfo): NodeLoad | undefined {
  if (update.recordSeq !== sender.seq) return undefined
  if (update.running.length > sender.functions.length || update.queued.length > sender.functions.length) return undefined
  const functions = sender.functions.map((f, i) => ({ name: f.name, capacity: f.capacity, running: update.running[i] ?? 0, queued: update.queued[i] ?? 0 }))
  const totals = { queued: 0, running: 0, capacity: 0 }
  for (const f of functions) { totals.queued += f.queued; totals.running += f.running; totals.capacity += f.capacity }
  return { functions, totals }
}

/**
 * Delta-only load: what each neighbour was last told, so a pulse carries the load only when it
 * changed for that neighbour (an idle node's pulses carry none).
 */
export class LoadVersions {
  private readonly told = new Map<string, string>()

  /** The load to send `peer`, or undefined when it already has it. */
  takeFor (peer: string, own: MemberInfo, source: LoadSource): OwnLoad | undefined {
    const byName = new Map(source.snapshot().functions.map(f => [f.name, f]))
    const running = own.functions.map(f => byName.get(f.name)?.running ?? 0)
    const queued = own.functions.map(f => byName.get(f.name)?.queued ?? 0)
    const key = `${own.seq}|${running.join(',')}|${queued.join(',')}`
    if (this.told.get(peer) === key) return undefined
    this.told.set(peer, key)
    return { recordSeq: own.seq, running, queued }
  }

  forget (peer: string): void {
    this.told.delete(peer)
  }
}

export interface LoadRelayInit {
  loadCoalesceMs?: number
}

export interface LoadRelayComponents {
  membership: Membership
  view: MeshView
  loadSource: LoadSource
  /** The link manager's sessions, as they are when asked (only the links get load). */
  sessions: () => Iterable<LinkSession>
  now: () => number
}

/**
 * This node's load to its neighbours and theirs into the view: on the pulses of the links, sent
 * when it changes (at most once per loadCoalesceMs) and only to a neighbour that has not got it.
 */
export class LoadRelay {
  private readonly loads = new LoadVersions()
  private readonly pendingLoad = new Map<string, LoadUpdate>()
  private loadTimer?: ReturnType<typeof setTimeout>
  private lastLoadSent = -Infinity
  private started = false

  constructor (private readonly init: LoadRelayInit, private readonly c: LoadRelayComponents) {}

  start (): void {
    this.started = true
    this.c.loadSource.addEventListener('change', this.onLoadChange)
    this.c.membership.addEventListener('own:sealed', this.onOwnSealed)
    this.c.membership.addEventListener('member:update', this.onMemberRecord)
    this.c.membership.addEventListener('member:join', this.onMemberRecord)
  }

  stop (): void {
    this.started = false
    if (this.loadTimer != null) clearTimeout(this.loadTimer)
    this.loadTimer = undefined
    this.c.loadSource.removeEventListener('change', this.onLoadChange)
    this.c.membership.removeEventListener('own:sealed', this.onOwnSealed)
    this.c.membership.removeEventListener('member:update', this.onMemberRecord)
    this.c.membership.removeEventListener('member:join', this.onMemberRecord)
  }

  /** A pulse to `s`, with this node's load if `s` has not got it yet. */
  pulse (s: LinkSession, ping: boolean): NonNullable<LinkFrame['pulse']> {
    const load = this.loads.takeFor(s.peer, this.c.membership.ownRecord().info, this.c.loadSource)
    return { ping, digest: this.c.membership.table.digest(), load: load != null ? encodeLoad(load) : undefined }
  }

  /** A pulse from `s` came, with or without its load. */
  received (s: LinkSession, update: LoadUpdate | undefined): void {
    if (update != null) {
      this.pendingLoad.delete(s.peer)
      const member = this.c.membership.table.get(s.peer)
      const load = member != null ? decodeLoad(update, member.info) : undefined
      if (load != null) this.c.view.applyLoad(s.peer, load, s.lastHeard)
      // It follows a record still on its way (a sync): applied when the record arrives.
      else if (member != null && update.recordSeq > member.info.seq) this.pendingLoad.set(s.peer, update)
    } else {
      this.c.view.touch(s.peer, s.lastHeard)
    }
  }

  /** A link to `peer` came up or went down: a new one gets the whole load. */
  forget (peer: string): void {
    this.loads.forget(peer)
  }

  /** The session with `peer` ended: a load it sent ahead of its record is dropped. */
  sessionEnded (peer: string): void {
    this.pendingLoad.delete(peer)
  }

  private readonly onMemberRecord = (evt: CustomEvent<Member>): void => {
    const peer = evt.detail.info.peerId
    const pending = this.pendingLoad.get(peer)
    if (pending == null) return
    const load = decodeLoad(pending, evt.detail.info)
    if (load == null) return
    this.pendingLoad.delete(peer)
    this.c.view.applyLoad(peer, load, this.c.now())
  }

  /** A new own record reorders or renames the load's functions: neighbours get the load with it, in one frame. */
  private readonly onOwnSealed = (): void => {
    for (const s of this.c.sessions()) {
      if (s.role !== 'link') continue
      const p = this.pulse(s, false)
      if (p.load != null) s.pushPulse(p)
    }
  }

  private readonly onLoadChange = (): void => {
    this.syncOwnFunctions()
    this.scheduleLoad()
  }

  private scheduleLoad (): void {
    if (this.loadTimer != null || !this.started) return
    const wait = Math.max(0, this.lastLoadSent + (this.init.loadCoalesceMs ?? DEFAULT_LOAD_COALESCE_MS) - this.c.now())
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined
      this.lastLoadSent = this.c.now()
      for (const s of this.c.sessions()) {
        if (s.role !== 'link') continue
        const p = this.pulse(s, false)
        if (p.load != null) s.send({ pulse: p })
      }
    }, wait)
  }

  /** The record lists the functions and their slots; a change there is a new record. */
  private syncOwnFunctions (): void {
    const functions = this.c.loadSource.snapshot().functions.map(f => ({ name: f.name, capacity: f.capacity }))
    this.c.membership.update({ functions })
  }
}

import { lpStream } from '@libp2p/utils'
import { TypedEventEmitter } from 'main-event'
import { LinkFrame } from '../wire/mesh.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export const LINK_PROTOCOL = '/p2pfaas/link/1.0.0'
/** Records in one frame; more wait for the next. */
const RECORDS_PER_FRAME = 64
const HAVE_PER_FRAME = 1024
/** How long announcements with nothing else to send wait for more to join them (ms). */
const HAVE_BATCH_MS = 50
/**
 * How long an announcement that changes nobody's view may wait for a frame to ride (ms). On a link
 * the next pulse or its answer (every 2 heartbeats each way) takes it first, for nothing; this
 * bounds the wait on a session that carries no pulses, or a heartbeat set long.
 */
const LATER_HAVE_MS = 2500
/** Large enough for a full digest of a big mesh or a batch of records, small enough to hold in memory. */
export const MAX_LINK_FRAME_BYTES = 512 * 1024
const FAIR_TURN_MS = 5

export type SessionRole = 'hello' | 'link' | 'sync'

/** A frame to send: any of the fields, byte arrays of any backing. */
export interface OutgoingFrame {
  hello?: { record: Uint8Array, link: boolean, digest: bigint }
  pulse?: LinkFrame['pulse']
  records?: Uint8Array[]
  digest?: LinkFrame['digest']
  want?: Uint8Array[]
  synced?: boolean
  have?: LinkFrame['have']
}

export interface LinkSessionEvents {
  /**
   * The stream ended or failed; the session is dead. `error` says why, when it was not a clean end;
   * `violation`: the neighbour broke the protocol (an oversized or undecodable frame).
   */
  close: CustomEvent<{ error?: string, violation: boolean }>
}

export interface LinkTraffic {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  /** Frames out by what they carried (a frame with records and a pulse counts for both). */
  sent: Record<FrameKind, number>
}

export type FrameKind = 'hello' | 'pulse' | 'load' | 'records' | 'digest' | 'want' | 'have'

/**
 * Decodes a frame within bounds. protons reads fixed64 as a signed integer (a digest with its top
 * bit set came out negative and never matched): digests are unsigned 64-bit values, so they are
 * read back as such here, the one place frames come in.
 */
export function decodeLinkFrame (bytes: Uint8Array | Uint8ArrayList, limits: { digest: number, want: number, have?: number }): LinkFrame {
  const frame = LinkFrame.decode(bytes, { limits })
  if (frame.hello != null) frame.hello.digest = BigInt.asUintN(64, frame.hello.digest)
  if (frame.pulse != null) frame.pulse.digest = BigInt.asUintN(64, frame.pulse.digest)
  return frame
}

/** What a frame carries, for the counters. */
export function frameKinds (f: OutgoingFrame): FrameKind[] {
  const kinds: FrameKind[] = []
  if (f.hello != null) kinds.push('hello')
  if (f.pulse != null) kinds.push(f.pulse.load != null ? 'load' : 'pulse')
  if ((f.records?.length ?? 0) > 0) kinds.push('records')
  if ((f.digest?.length ?? 0) > 0) kinds.push('digest')
  if ((f.want?.length ?? 0) > 0 || f.synced === true) kinds.push('want')
  if ((f.have?.length ?? 0) > 0) kinds.push('have')
  return kinds
}

export interface LinkSessionInit {
  stream: Stream
  connection: Connection
  /** This node opened the stream: it sends the pings, and its hello asks first. */
  initiator: boolean
  /** Decode limit for digests and wants: the member table's size. */
  maxEntries: number
  now: () => number
  /** Shared counters of the whole node. */
  traffic: LinkTraffic
  /** Each frame in turn: the next is not read until this one is handled, so frames never overtake each other. */
  handle: (session: LinkSession, frame: LinkFrame) => void | Promise<void>
}

/** Versions remembered per neighbour as announced by it; more than a forming fleet sends in a few batches. */
const MAX_THEY_HAVE = 4096

const versionKey = (e: LinkFrame['have'][number]): string =>
  `${Buffer.from(e.peerId.buffer, e.peerId.byteOffset, e.peerId.byteLength).toString('latin1')}/${e.incarnation}/${e.seq}`

/**
 * One stream to one neighbour, framed: frames out go through one queue (never interleaved, in
 * order), frames in are decoded with bounds and handled one at a time. Records queued for the
 * neighbour are sent in batches, so a flood of changes costs one frame, not one each. It knows
 * nothing of what the frames mean.
 */
export class LinkSession extends TypedEventEmitter<LinkSessionEvents> {
  readonly peer: string
  readonly initiator: boolean
  readonly connection: Connection
  role: SessionRole = 'hello'
  /** This node opened the session asking for a link (not a sync). */
  asksLink = false
  /** When any frame last arrived (monotonic ms): the link's liveness. */
  lastHeard: number
  /**
   * Heartbeats in a row that passed with nothing heard. Counted in this node's own ticks, so a node
   * whose event loop was held up (by itself, not by the link) does not take its neighbours for dead.
   */
  quietTicks = 0
  /** When this node last probed the link (the ring broke) and has not yet checked for the answer. */
  probeAt?: number
  /**
   * When the ring last vouched for this silent link (monotonic ms): its quiet heartbeats are counted
   * from here once the node watches every link again, not from a last word long ago.
   */
  coveredAt = -Infinity
  readonly openedAt: number
  /** The neighbour's digest in its last pulse, and how many pulses in a row it differed from ours. */
  theirDigest = 0n
  digestMismatches = 0
  /** Since when (monotonic ms) the neighbour's pulses have said its view differs from ours, without a break. */
  apartSince?: number
  lastSyncAt = -Infinity
  private readonly lp: ReturnType<typeof lpStream>
  private writing: Promise<void> = Promise.resolve()
  private outbox: Uint8Array[] = []
  private outHave: LinkFrame['have'] = []
  /** Announcements that ride the next frame sent anyway (pushHave's `later`). */
  private laterHave: LinkFrame['have'] = []
  private laterTimer?: ReturnType<typeof setTimeout>
  /** Announcements crossed this link, either way, since the last pulse came (takeAnnounced). */
  private announced = false
  /** Versions this neighbour announced to us lately: it has them, so they are not announced back. */
  private readonly theyHave = new Set<string>()
  private outPulse?: LinkFrame['pulse']
  private flushing = false
  private haveTimer?: ReturnType<typeof setTimeout>
  private closed = false
  private closing = false

  constructor (private readonly init: LinkSessionInit) {
    super()
    this.peer = init.connection.remotePeer.toString()
    this.initiator = init.initiator
    this.connection = init.connection
    this.lastHeard = this.openedAt = init.now()
    this.lp = lpStream(init.stream, { maxDataLength: MAX_LINK_FRAME_BYTES })
  }

  get isOpen (): boolean { return !this.closed }

  /** Starts reading; frames are handled until the stream ends. */
  start (): void {
    void this.readLoop()
  }

  private async readLoop (): Promise<void> {
    const limits = { digest: this.init.maxEntries, want: this.init.maxEntries, have: this.init.maxEntries }
    let turnStarted = this.init.now()
    try {
      while (!this.closed) {
        const bytes = await this.lp.read()
        this.init.traffic.framesIn++
        this.init.traffic.bytesIn += bytes.byteLength
        this.lastHeard = this.init.now()
        this.quietTicks = 0
        // Frames already buffered are read without returning to the event loop: after a few ms of
        // them, let timers and the other links have their turn.
        if (this.lastHeard - turnStarted > FAIR_TURN_MS) {
          await new Promise(resolve => setImmediate(resolve))
          turnStarted = this.init.now()
        }
        let frame: LinkFrame
        try {
          frame = decodeLinkFrame(bytes, limits)
        } catch (err: any) {
          this.fail(`an undecodable frame (${err.message})`, true)
          return
        }
        await this.init.handle(this, frame)
      }
    } catch (err: any) {
      const oversized = err?.name === 'InvalidDataLengthError' || err?.name === 'InvalidDataLengthLengthError'
      this.fail(this.closed || this.closing ? undefined : (err?.message ?? String(err)), oversized)
    }
  }

  /** Queues a frame; never throws (a failed write ends the session). */
  send (frame: OutgoingFrame): void {
    if (this.closed) return
    if (this.laterHave.length > 0 && frame.hello == null) frame = this.withLaterHaves(frame)
    if ((frame.have?.length ?? 0) > 0) this.announced = true
    const bytes = LinkFrame.encode(frame as LinkFrame)
    this.writing = this.writing.then(async () => {
      if (this.closed) return
      await this.lp.write(bytes)
      this.init.traffic.framesOut++
      this.init.traffic.bytesOut += bytes.byteLength
      for (const kind of frameKinds(frame)) this.init.traffic.sent[kind]++
    }).catch(err => { this.fail(`write failed: ${err?.message ?? err}`) })
  }

  /** Queues records for the neighbour; they leave together at the end of this turn of the event loop. */
  push (records: readonly Uint8Array[]): void {
    if (this.closed) return
    this.outbox.push(...records)
    this.scheduleFlush()
  }

  /**
   * The neighbour announced these versions: it has them. While a change floods the mesh, most
   * neighbours hear of it from someone else before this node's batch leaves; those are not told again.
   */
  noteTheyHave (entries: LinkFrame['have']): void {
    if (entries.length > 0) this.announced = true
    if (this.theyHave.size + entries.length > MAX_THEY_HAVE) this.theyHave.clear()
    for (const e of entries) this.theyHave.add(versionKey(e))
  }

  /**
   * Queues announcements of versions this node has; they leave with this turn's records. `later`:
   * versions that change nobody's view (links added), which ride the next frame this session sends
   * anyway (a pulse, a pong, records), at most LATER_HAVE_MS later. While a fleet forms, most
   * versions are such, several a second: each had a frame of its own on every link.
   */
  pushHave (entries: LinkFrame['have'], later = false): void {
    if (this.closed) return
    if (later) {
      this.laterHave.push(...entries)
      this.laterTimer ??= setTimeout(() => {
        this.laterTimer = undefined
        this.outHave.push(...this.laterHave.splice(0))
        this.scheduleFlush()
      }, LATER_HAVE_MS)
      return
    }
    this.outHave.push(...entries)
    // Announcements alone wait a moment: while a fleet forms, records arrive in bursts, and one
    // frame announcing them all costs the neighbour (and the LAN) one packet, not one each.
    this.scheduleFlush(HAVE_BATCH_MS)
  }

  /** A frame with as many of the waiting announcements as it has room for (those the neighbour announced itself left out). */
  private withLaterHaves (frame: OutgoingFrame): OutgoingFrame {
    const waiting = this.notHeld(this.laterHave)
    const room = Math.max(0, this.haveLimit() - (frame.have?.length ?? 0))
    this.laterHave = waiting.slice(room)
    if (this.laterHave.length === 0 && this.laterTimer != null) { clearTimeout(this.laterTimer); this.laterTimer = undefined }
    const riding = waiting.slice(0, room)
    return riding.length === 0 ? frame : { ...frame, have: [...(frame.have ?? []), ...riding] }
  }

  /** The announcements of versions this neighbour has not announced itself (it has those). */
  private notHeld (entries: LinkFrame['have']): LinkFrame['have'] {
    return entries.length > 0 && this.theyHave.size > 0 ? entries.filter(e => !this.theyHave.has(versionKey(e))) : entries
  }

  /** Announcements in one frame: no more than the neighbour takes (it cuts off a sender of more). */
  private haveLimit (): number {
    return Math.min(HAVE_PER_FRAME, this.init.maxEntries)
  }

  /**
   * Whether announcements crossed this link, either way, since the last call: the two views are
   * still moving towards each other, and differing digests say nothing yet.
   */
  takeAnnounced (): boolean {
    const was = this.announced
    this.announced = false
    return was
  }

  /**
   * Queues a pulse to leave in the same frame as the records queued this turn: a neighbour then
   * learns a new record and the load that follows it at once, never one without the other.
   */
  pushPulse (pulse: NonNullable<LinkFrame['pulse']>): void {
    if (this.closed) return
    this.outPulse = pulse
    this.scheduleFlush()
  }

  private scheduleFlush (delayMs = 0): void {
    if (this.flushing) return
    if (delayMs > 0) {
      this.haveTimer ??= setTimeout(() => { this.haveTimer = undefined; this.scheduleFlush() }, delayMs)
      return
    }
    if (this.haveTimer != null) clearTimeout(this.haveTimer)
    this.haveTimer = undefined
    this.flushing = true
    setImmediate(() => {
      this.flushing = false
      if (this.closed) return
      this.outHave = this.notHeld(this.outHave)
      if (this.outbox.length === 0 && this.outHave.length === 0 && this.outPulse == null) return
      do {
        const records = this.outbox.splice(0, RECORDS_PER_FRAME)
        const have = this.outHave.splice(0, this.haveLimit())
        const pulse = this.outbox.length === 0 ? this.outPulse : undefined
        if (pulse != null) this.outPulse = undefined
        this.send({ records, pulse, have })
      } while (this.outbox.length > 0 || this.outHave.length > 0 || this.outPulse != null)
    })
  }

  /** Ends the session after what is queued has been written. */
  close (): void {
    if (this.closed || this.closing) return
    this.closing = true
    void this.writing.then(async () => { await this.init.stream.close() }).catch(() => {}).finally(() => { this.fail(undefined) })
  }

  /** Ends the session at once (a protocol violation, a dead link). */
  abort (reason: string): void {
    this.fail(reason)
  }

  private fail (error: string | undefined, violation = false): void {
    if (this.closed) return
    this.closed = true
    if (this.haveTimer != null) clearTimeout(this.haveTimer)
    this.haveTimer = undefined
    if (this.laterTimer != null) clearTimeout(this.laterTimer)
    this.laterTimer = undefined
    this.outbox = []
    this.outHave = []
    this.laterHave = []
    this.outPulse = undefined
    if (error != null) this.init.stream.abort(new Error(error))
    this.safeDispatchEvent('close', { detail: { error, violation } })
  }
}

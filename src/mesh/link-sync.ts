import type { LinkSession } from './link-session.js'
import type { Membership } from './membership.js'
import type { LinkFrame } from '../wire/mesh.js'

/** Heartbeats two views must stay apart (pulse after pulse) before they are compared whole. */
const APART_HEARTBEATS = 2

export interface RecordSyncInit {
  /** Pulse interval on every link (ms). */
  heartbeatMs: number
}

export interface RecordSyncComponents {
  membership: Membership
  now: () => number
}

/**
 * Members' records over a session: versions a neighbour announces are asked for, a digest is
 * answered with the records the other end lacks, and views that stay apart are compared.
 */
export class RecordSync {
  constructor (private readonly init: RecordSyncInit, private readonly c: RecordSyncComponents) {}

  /** The have, digest and want of a frame (its records and its pulse come first; the link manager noted its have before the pulse). */
  onFrame (s: LinkSession, frame: LinkFrame): void {
    if (frame.have.length > 0) {
      const want = this.c.membership.wantsFrom(frame.have, s.peer)
      if (want.length > 0) s.send({ want })
    }
    if (frame.digest.length > 0) this.answerDigest(s, frame)
    else if (frame.want.length > 0) this.sendRecords(s, this.c.membership.wanted(frame.want, s.peer))
  }

  /** The digest a neighbour's pulse carries. */
  onPulseDigest (s: LinkSession, digest: bigint): void {
    s.theirDigest = digest
    const moving = s.takeAnnounced()
    // Views that differ while announcements cross the link are converging, not apart (versions that
    // only add links wait for a pulse to ride, so while a fleet forms two views rarely match).
    const now = this.c.now()
    if (s.theirDigest === this.c.membership.table.digest()) { s.digestMismatches = 0; s.apartSince = undefined } else if (!moving) {
      s.digestMismatches++
      s.apartSince ??= now
    }
    // Views that stay apart for two pulses, 2 heartbeats or more, are compared (on the ring, pulses
    // come every heartbeat: two of them are not yet the time a lazy announcement may take); the
    // opener asks, so a pair never syncs twice at once.
    const apart = s.digestMismatches >= 2 && now - (s.apartSince ?? now) >= (APART_HEARTBEATS - 0.5) * this.init.heartbeatMs
    if (s.initiator && apart && now - s.lastSyncAt > 3 * this.init.heartbeatMs) this.sendDigest(s)
  }

  sendDigest (s: LinkSession): void {
    s.lastSyncAt = this.c.now()
    s.digestMismatches = 0
    s.apartSince = undefined
    s.send({ digest: this.c.membership.digestEntries() })
  }

  private answerDigest (s: LinkSession, frame: LinkFrame): void {
    const answer = this.c.membership.answerDigest(frame.digest, s.peer)
    this.sendRecords(s, answer.records)
    s.send({ want: answer.want, synced: true })
  }

  private sendRecords (s: LinkSession, records: Uint8Array[]): void {
    for (let i = 0; i < records.length; i += 64) s.send({ records: records.slice(i, i + 64) })
  }
}

/**
 * Peers that keep refusing calls they were chosen for are left alone for a while, longer each time,
 * so a peer that advertises free slots and refuses everything (broken, or lying) cannot swallow the
 * traffic. One refusal is forgiven: an honest peer that just filled up refuses once, and its answer
 * (and next gossip) already shows it full. One accepted call clears the record.
 */
export class RefusalBackoff {
  private readonly peers = new Map<string, { until: number, strikes: number }>()

  constructor (private readonly baseMs = 500, private readonly maxMs = 30_000, private readonly now = () => performance.now()) {}

  isBackingOff (peerId: string): boolean {
    const p = this.peers.get(peerId)
    return p != null && p.strikes >= 2 && p.until > this.now()
  }

  refused (peerId: string): void {
    const strikes = (this.peers.get(peerId)?.strikes ?? 0) + 1
    this.peers.set(peerId, { strikes, until: this.now() + Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, strikes - 2)) })
    if (this.peers.size > 4096) this.peers.delete(this.peers.keys().next().value!)
  }

  accepted (peerId: string): void {
    this.peers.delete(peerId)
  }

  /** Forgets every peer (a new policy: refusals met under the old one say nothing of its choices). */
  clear (): void {
    this.peers.clear()
  }
}

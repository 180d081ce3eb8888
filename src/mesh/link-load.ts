import type { NodeLoad } from './load.js'
import type { LoadSource } from './load.js'
import type { MemberInfo } from './record.js'
import type { LoadUpdate } from '../wire/mesh.js'

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

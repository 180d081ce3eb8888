import { shortId } from './table.js'
import type { FunctionLoad, NodeLoad } from '../mesh/load.js'
import type { SlotLoad } from '../rules.js'

/** One node as `top` last heard of it. */
export interface TopNode {
  peerId: string
  load: NodeLoad
  /** Milliseconds since it last answered with its load. */
  ageMs: number
}

export interface TopFrame {
  via: string
  nodes: TopNode[]
  /** Wall-clock time of the frame, for the header. */
  at: Date
  width: number
}

const BAR = 20

/** Slots in use as filled cells, the queue as '+' after them: what an operator scans for. */
export function loadBar (f: SlotLoad): string {
  if (f.capacity <= 0) return '·'.repeat(BAR)
  const filled = Math.min(BAR, Math.round(BAR * f.running / f.capacity))
  const queued = Math.min(BAR - filled, f.queued > 0 ? Math.max(1, Math.round(BAR * f.queued / f.capacity)) : 0)
  return '█'.repeat(filled) + '+'.repeat(queued) + '·'.repeat(BAR - filled - queued)
}

const pad = (s: string, n: number): string => s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length)
const padStart = (s: string, n: number): string => s.length >= n ? s : ' '.repeat(n - s.length) + s

/** One screen of `p2pfaas top`: nodes sorted by PeerId, one line per function, totals on top. */
export function renderTop (frame: TopFrame): string {
  const nodes = [...frame.nodes].sort((a, b) => a.peerId < b.peerId ? -1 : 1)
  const totals = nodes.reduce((t, n) => ({ running: t.running + n.load.totals.running, capacity: t.capacity + n.load.totals.capacity, queued: t.queued + n.load.totals.queued }), { running: 0, capacity: 0, queued: 0 })
  const lines = [
    `p2pfaas top  ${nodes.length} node(s) via ${shortId(frame.via)}  running ${totals.running}/${totals.capacity}  queued ${totals.queued}  ${frame.at.toLocaleTimeString()}  (q quits)`,
    '',
    `${pad('NODE', 17)} ${pad('FUNCTION', 16)} ${padStart('RUN', 4)} ${padStart('SLOTS', 5)} ${padStart('QUEUE', 5)}  ${pad('LOAD', BAR)}  ${padStart('AGE', 7)}`
  ]
  for (const node of nodes) {
    const fns: Array<FunctionLoad | undefined> = node.load.functions.length > 0 ? [...node.load.functions].sort((a, b) => a.name < b.name ? -1 : 1) : [undefined]
    fns.forEach((f, i) => {
      const id = i === 0 ? shortId(node.peerId) : ''
      const age = i === 0 ? `${Math.round(node.ageMs)} ms` : ''
      lines.push(f == null
        ? `${pad(id, 17)} ${pad('(none)', 16)} ${padStart('-', 4)} ${padStart('-', 5)} ${padStart('-', 5)}  ${pad('', BAR)}  ${padStart(age, 7)}`
        : `${pad(id, 17)} ${pad(f.name, 16)} ${padStart(String(f.running), 4)} ${padStart(String(f.capacity), 5)} ${padStart(String(f.queued), 5)}  ${loadBar(f)}  ${padStart(age, 7)}`)
    })
  }
  if (nodes.length === 0) lines.push('(no load heard yet: nodes gossip it every heartbeat)')
  return lines.map(l => l.length > frame.width ? l.slice(0, frame.width) : l).join('\n') + '\n'
}

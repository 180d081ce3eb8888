import { nameOf, svg } from './dom.js'
import type { DashboardSnapshot } from '../observe/snapshot.js'
import type { SlotLoad } from '../rules.js'

const SIZE = 400
const CENTRE = SIZE / 2

/** Green to red by how full a node is: running and queued against its slots. */
export function loadColour (load: SlotLoad): string {
  if (load.capacity === 0) return 'hsl(210 10% 55%)'
  const f = Math.min(1, (load.running + load.queued) / load.capacity)
  return `hsl(${Math.round(130 - 130 * f)} 65% 45%)`
}

const crowded = (n: number): boolean => n > 12

/**
 * A node's name: under it while there is room; in a crowded circle, outside it along the radius
 * and shorter, so neighbours' names never collide (checked at 32 nodes in the browser tests).
 */
function label (peerId: string, self: boolean, p: { x: number, y: number }, r: number, count: number): SVGElement {
  if (!crowded(count)) return svg('text', { x: p.x, y: p.y + r + 14, 'text-anchor': 'middle', 'font-size': 12 }, `${nameOf(peerId)}${self ? ' (here)' : ''}`)
  const dx = p.x - CENTRE
  const dy = p.y - CENTRE
  const d = Math.hypot(dx, dy) || 1
  const x = p.x + (dx / d) * (r + 4)
  const y = p.y + (dy / d) * (r + 4)
  const anchor = dx / d > 0.1 ? 'start' : dx / d < -0.1 ? 'end' : 'middle'
  return svg('text', { x, y: y + (dy / d) * 6 + 3, 'text-anchor': anchor, 'font-size': 9 }, peerId.slice(-4))
}

/**
 * The mesh as a circle of nodes, in PeerId order so a node keeps its place between redraws;
 * 1 to 32 nodes stay readable. Each node is focusable and says its state to screen readers.
 */
export function renderGraph (root: SVGSVGElement, snap: DashboardSnapshot, selected: string | undefined, onSelect: (peerId: string) => void): void {
  const nodes = [...snap.nodes].sort((a, b) => a.peerId < b.peerId ? -1 : 1)
  const radius = nodes.length <= 1 ? 0 : CENTRE - 45
  const r = Math.max(9, Math.min(26, 150 / Math.max(1, nodes.length)))
  const at = new Map(nodes.map((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, nodes.length)
    return [n.peerId, { x: CENTRE + radius * Math.cos(angle), y: CENTRE + radius * Math.sin(angle) }]
  }))
  const active = new Map<string, number>()
  for (const h of snap.handoffs) {
    const key = h.from < h.to ? `${h.from} ${h.to}` : `${h.to} ${h.from}`
    active.set(key, (active.get(key) ?? 0) + h.count)
  }
  const children: SVGElement[] = []
  for (const e of snap.edges) {
    const a = at.get(e.a)
    const b = at.get(e.b)
    if (a == null || b == null) continue
    const count = active.get(`${e.a} ${e.b}`) ?? 0
    children.push(svg('line', { class: count > 0 ? 'edge active' : 'edge', x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'stroke-width': count > 0 ? Math.min(8, 2 + Math.log2(1 + count)) : 1.5, 'data-edge': `${e.a} ${e.b}` }))
  }
  for (const n of nodes) {
    const p = at.get(n.peerId)!
    const t = n.load.totals
    const g = svg('g', {
      class: `node ${n.state}${n.self ? ' self' : ''}${n.peerId === selected ? ' selected' : ''}`,
      tabindex: 0,
      role: 'button',
      'data-peer': n.peerId,
      'aria-label': `node ${n.peerId}${n.self ? ' (this node)' : ''}, ${n.state}, running ${t.running} of ${t.capacity}, queued ${t.queued}`
    })
    g.append(svg('circle', { cx: p.x, cy: p.y, r, fill: loadColour(t) }), svg('title', {}, `${n.peerId}\n${n.state} · running ${t.running}/${t.capacity} · queued ${t.queued}`))
    g.append(label(n.peerId, n.self, p, r, nodes.length))
    g.append(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', 'font-size': crowded(nodes.length) ? 9 : 12 }, n.state === 'gone' ? '×' : `${t.running}/${t.capacity}`))
    g.addEventListener('click', () => { onSelect(n.peerId) })
    g.addEventListener('keydown', (evt: Event) => {
      const key = (evt as KeyboardEvent).key
      if (key === 'Enter' || key === ' ') { evt.preventDefault(); onSelect(n.peerId) }
    })
    children.push(g)
  }
  const focused = document.activeElement?.getAttribute('data-peer')
  root.replaceChildren(...children)
  // Keep keyboard focus on the same node across redraws.
  if (focused != null) (root.querySelector(`[data-peer="${CSS.escape(focused)}"]`) as SVGGElement | null)?.focus()
}

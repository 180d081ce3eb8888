import { el, fillBody, ms, nameOf, perSecond } from './dom.js'
import type { DashboardSnapshot } from '../observe/snapshot.js'

const cell = (...children: Array<Node | string>): HTMLTableCellElement => el('td', {}, ...children)

export function renderNodes (snap: DashboardSnapshot, selected: string | undefined): void {
  const nodes = [...snap.nodes].sort((a, b) => Number(b.self) - Number(a.self) || (a.peerId < b.peerId ? -1 : 1))
  fillBody('nodes', nodes.map(n => {
    const t = n.load.totals
    const fns = n.load.functions.map(f => `${f.name} ${f.running}/${f.capacity}·${f.queued}`).join(', ') || (n.functions.join(', ') || '–')
    const width = t.capacity > 0 ? Math.round(60 * Math.min(1, t.running / t.capacity)) : 0
    const row = el('tr', { class: `${n.state}${n.self ? ' self' : ''}${n.peerId === selected ? ' selected' : ''}`, 'data-peer': n.peerId },
      el('th', { scope: 'row', title: n.peerId }, `${nameOf(n.peerId)}${n.self ? ' (here)' : ''}`),
      cell(n.state),
      cell(n.self ? '–' : n.state === 'gone' ? `left ${ms(n.lastSeenMs)} ago` : ms(n.lastSeenMs)),
      cell(`${t.running}/${t.capacity} · ${t.queued}`, el('span', { class: 'bar', style: `width:${width}px` })),
      cell(fns),
      cell(n.addrs.slice(0, 2).join(' ')))
    return row
  }))
}

export function renderFunctions (snap: DashboardSnapshot): void {
  fillBody('functions', snap.functions.map(f => el('tr', { 'data-function': f.name },
    el('th', { scope: 'row' }, f.name),
    cell(`${f.nodes.length}`, el('span', { class: 'muted' }, f.nodes.length > 0 ? ` (${f.nodes.map(nameOf).join(' ')})` : '')),
    cell(perSecond(f.ratePerS)),
    cell(`${(100 * f.rejectionRate).toFixed(1)} %`),
    cell(ms(f.p50Ms)),
    cell(ms(f.p99Ms)))))
}

export function renderTraces (snap: DashboardSnapshot): void {
  fillBody('traces', snap.traces.map(c => el('tr', { 'data-call': c.callId, class: `outcome-${c.outcome}` },
    cell(new Date(c.at).toLocaleTimeString()),
    cell(c.function),
    cell(c.code != null ? `${c.outcome} (${c.code})` : `${c.outcome} ${c.status}`),
    el('td', { class: 'path', title: c.path.join(' → ') }, c.path.map(nameOf).join(' → ')),
    cell(ms(c.totalMs)),
    cell(c.hops.map(h => `${nameOf(h.peer)} ${h.decision} ${ms(h.queueMs)} + ${ms(h.execMs)}`).join(' | ')))))
}

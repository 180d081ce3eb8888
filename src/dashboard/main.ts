import { renderChart } from './charts.js'
import { nameOf } from './dom.js'
import { renderGraph } from './graph.js'
import { renderLearning } from './learning.js'
import { renderFunctions, renderNodes, renderTraces } from './tables.js'
import type { DashboardSnapshot } from '../observe/snapshot.js'

/**
 * The dashboard app: one live stream of snapshots from the node (Server-Sent Events, reconnecting
 * by itself), each drawn whole. It uses nothing but the node's JSON API.
 */
const status = document.getElementById('status')!
let last: DashboardSnapshot | undefined
let selected: string | undefined
let firstRender = true

function draw (snap: DashboardSnapshot): void {
  last = snap
  document.getElementById('self')!.textContent = `node ${nameOf(snap.self)} · ${snap.nodes.filter(n => n.state !== 'gone').length} node(s)`
  document.getElementById('policy')!.textContent = snap.policy
  renderLearning(snap)
  renderGraph(document.getElementById('graph') as unknown as SVGSVGElement, snap, selected, select)
  renderChart(document.getElementById('chart-calls') as unknown as SVGSVGElement, snap.series, ['arrivals', 'local', 'forwarded', 'rejected'])
  renderChart(document.getElementById('chart-latency') as unknown as SVGSVGElement, snap.series, ['p50Ms', 'p99Ms'])
  renderNodes(snap, selected)
  renderFunctions(snap)
  renderTraces(snap)
  if (firstRender) {
    firstRender = false
    performance.mark('p2pfaas:first-render')
    document.body.dataset.ready = 'true'
  }
}

function select (peerId: string): void {
  selected = selected === peerId ? undefined : peerId
  if (last != null) draw(last)
  document.querySelector(`#nodes tr[data-peer="${CSS.escape(peerId)}"]`)?.scrollIntoView({ block: 'nearest' })
}

function connect (): void {
  const stream = new EventSource('/api/dashboard/stream')
  stream.addEventListener('snapshot', evt => {
    status.textContent = 'live'
    status.className = 'live'
    draw(JSON.parse((evt as MessageEvent<string>).data) as DashboardSnapshot)
  })
  stream.addEventListener('error', () => {
    status.textContent = 'reconnecting…'
    status.className = 'down'
  })
}

document.getElementById('policy-form')!.addEventListener('submit', evt => {
  evt.preventDefault()
  const form = evt.target as HTMLFormElement
  const data = new FormData(form)
  const out = document.getElementById('policy-result')!
  out.textContent = 'applying…'
  fetch('/configuration/scheduler', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${String(data.get('secret'))}` },
    body: JSON.stringify({ policy: String(data.get('policy')) })
  }).then(async res => {
    const body = await res.json().catch(() => ({})) as { message?: string, policy?: string }
    out.textContent = res.ok ? `now ${body.policy ?? String(data.get('policy'))}` : `refused: ${body.message ?? res.status}`
  }, (err: Error) => { out.textContent = `failed: ${err.message}` })
})

connect()

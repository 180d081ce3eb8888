import { svg } from './dom.js'
import type { SeriesPoint } from '../observe/snapshot.js'

const W = 600
const H = 160
const PAD = { left: 40, right: 8, top: 8, bottom: 18 }

/** Lines over the series, one per key, on a shared axis from 0 to the largest value shown. */
export function renderChart (root: SVGSVGElement, series: SeriesPoint[], keys: Array<keyof SeriesPoint>): void {
  const values = series.flatMap(p => keys.map(k => p[k] as number | undefined).filter((v): v is number => v != null))
  const max = Math.max(1, ...values)
  const x = (i: number): number => PAD.left + (W - PAD.left - PAD.right) * (series.length <= 1 ? 0 : i / (series.length - 1))
  const y = (v: number): number => H - PAD.bottom - (H - PAD.top - PAD.bottom) * (v / max)
  const children: SVGElement[] = [
    svg('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }),
    svg('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    svg('text', { x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, max >= 100 ? max.toFixed(0) : max.toFixed(1)),
    svg('text', { x: PAD.left - 4, y: H - PAD.bottom, 'text-anchor': 'end' }, '0'),
    svg('text', { x: PAD.left, y: H - 3 }, `${series.length} s ago`),
    svg('text', { x: W - PAD.right, y: H - 3, 'text-anchor': 'end' }, 'now')
  ]
  for (const key of keys) {
    const points = series.flatMap((p, i) => p[key] != null ? [`${x(i).toFixed(1)},${y(p[key] as number).toFixed(1)}`] : [])
    children.push(svg('polyline', { class: String(key), points: points.join(' '), 'data-series': String(key) }))
    // Latency exists only for seconds with calls: a lone second would be an invisible one-point line.
    if (points.length < series.length) {
      for (const pt of points) {
        const [cx, cy] = pt.split(',')
        children.push(svg('circle', { class: `dot-${String(key)}`, cx: cx!, cy: cy!, r: 2.5 }))
      }
    }
  }
  const last = series.at(-1)
  root.setAttribute('aria-label', `${root.id.replace('chart-', '')} over the last ${series.length} s; now ${keys.map(k => `${String(k)} ${Math.round((last?.[k] as number | undefined) ?? 0)}`).join(', ')}`)
  root.replaceChildren(...children)
}

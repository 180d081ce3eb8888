import { renderSvg, vegaLite } from '../../plot/vega.js'
import type { ModelPoint } from './model.js'
import type { Aggregate, Metric, Timeline } from './results.js'

/**
 * The experiment's three figures as Vega-Lite specs (rendered to SVG in Node by src/plot/vega.ts):
 * P_B against ρ with both models, response time against ρ, and the within-deadline rate against
 * time (does a policy learn?). Measured points carry their 95 % interval over repetitions as an
 * error bar; with one repetition there is none to draw.
 */

export const MODEL_SERIES = { local: 'no cooperation (M/M/c/K per node)', pooled: 'pooled ideal (one M/M/Nc/N(c+q))' } as const

const WIDTH = 360
const HEIGHT = 260

interface Panel {
  title: string
  yTitle: string
  metric: Metric
  /** What the metric cannot leave (a share stays in [0, 1]): an interval is drawn clipped to it. */
  bounds: [number, number]
  models?: Array<{ series: string, pick: (m: ModelPoint) => number }>
}

/** One panel against ρ: model curves dashed, each policy a line with error bars. */
function panelAgainstRho (p: Panel, aggregates: readonly Aggregate[], curve: readonly ModelPoint[], colors: Record<string, unknown>): Record<string, unknown> {
  const [lo, hi] = p.bounds
  const clip = (v: number | null): number | null => v == null ? null : Math.min(hi, Math.max(lo, v))
  const measured = aggregates.map(a => {
    const e = a.metrics[p.metric]
    return { rho: a.rho, series: a.policy, y: e.mean, low: clip(e.low), high: clip(e.high), n: e.n }
  }).filter(r => Number.isFinite(r.y))
  const models = (p.models ?? []).flatMap(m => curve.map(pt => ({ rho: pt.rho, series: m.series, y: m.pick(pt) })))
  const x = { field: 'rho', type: 'quantitative', title: 'offered load ρ per node (λ·E[S]/slots)', scale: { zero: true } }
  const y = { field: 'y', type: 'quantitative', title: p.yTitle, scale: { zero: true } }
  const color = { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2 }, scale: colors }
  return {
    title: p.title,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { data: { values: models }, mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x, y, color } },
      { data: { values: measured }, mark: { type: 'line', point: true }, encoding: { x, y, color, tooltip: [{ field: 'series' }, { field: 'rho' }, { field: 'y', format: '.4g' }, { field: 'n', title: 'repetitions' }] } },
      {
        data: { values: measured.filter(r => r.low != null && r.high != null) },
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'low', type: 'quantitative', title: p.yTitle }, y2: { field: 'high' }, color }
      }
    ]
  }
}

/** One colour per policy and per model, in that order, the same in every figure. */
function palette (policies: readonly string[], withModels = true): Record<string, unknown> {
  const base = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#eeca3b', '#bab0ac']
  const domain = [...policies, ...withModels ? [MODEL_SERIES.local, MODEL_SERIES.pooled] : []]
  const range = [...policies.map((_, i) => base[i % base.length]!), ...withModels ? ['#333333', '#999999'] : []]
  return { domain, range }
}

const top = (title: string, subtitle: string): Record<string, unknown> =>
  ({ text: title, subtitle, anchor: 'start', offset: 14, subtitleFontSize: 10 })

export interface FigureInput {
  name: string
  policies: readonly string[]
  aggregates: readonly Aggregate[]
  curve: readonly ModelPoint[]
  timelines: readonly Timeline[]
  warmupMs: number
  /** One line of machine checks, printed under each title. */
  machine: string
}

export function blockingFigure (f: FigureInput): Record<string, unknown> {
  const colors = palette(f.policies)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: top(`${f.name}: blocking probability P_B against offered load`, f.machine),
    hconcat: [panelAgainstRho({
      title: 'P_B = rejected / sent (95 % CI over repetitions)',
      yTitle: 'P_B',
      metric: 'pB',
      bounds: [0, 1],
      models: [{ series: MODEL_SERIES.local, pick: m => m.localBlocking }, { series: MODEL_SERIES.pooled, pick: m => m.pooledBlocking }]
    }, f.aggregates, f.curve, colors)],
    config: { font: 'sans-serif' }
  }
}

export function responseFigure (f: FigureInput): Record<string, unknown> {
  const colors = palette(f.policies)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: top(`${f.name}: response time of successful calls against offered load`, f.machine),
    hconcat: [
      panelAgainstRho({
        title: 'mean (models: M/M/c/K, exponential service)',
        yTitle: 'mean response (ms)',
        metric: 'meanMs',
        bounds: [0, Infinity],
        models: [{ series: MODEL_SERIES.local, pick: m => m.localMeanMs }, { series: MODEL_SERIES.pooled, pick: m => m.pooledMeanMs }]
      }, f.aggregates, f.curve, colors),
      panelAgainstRho({ title: 'p99', yTitle: 'p99 response (ms)', metric: 'p99Ms', bounds: [0, Infinity] }, f.aggregates, f.curve, colors)
    ],
    spacing: 40,
    config: { font: 'sans-serif' }
  }
}

/** Within-deadline share per window, repetitions pooled; one panel per ρ; a rule where the warm-up ends. */
export function deadlineFigure (f: FigureInput): Record<string, unknown> {
  const colors = palette(f.policies, false)
  const rows = f.timelines.flatMap(t => t.sent.map((sent, w) => ({
    t: (w + 0.5) * t.windowMs / 1000, share: sent === 0 ? null : t.within[w]! / sent, series: t.policy, panel: `ρ = ${t.rho}`
  }))).filter(r => r.share != null)
  const layer: Array<Record<string, unknown>> = [{
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time since the run started (s)' },
      y: { field: 'share', type: 'quantitative', title: 'within deadline (share of sent)', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 0 }, scale: colors }
    }
  }]
  if (f.warmupMs > 0) layer.push({ mark: { type: 'rule', strokeDash: [4, 4], color: '#888888' }, encoding: { x: { datum: f.warmupMs / 1000 } } })
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: top(`${f.name}: calls answered within their deadline, over time${f.warmupMs > 0 ? ' (dashed: end of warm-up)' : ''}`, f.machine),
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: { width: 300, height: 220, layer },
    config: { font: 'sans-serif' }
  }
}

/** The three figures as SVG documents, by file role. */
export async function renderFigures (f: FigureInput): Promise<{ blocking: string, response: string, deadline: string }> {
  return {
    blocking: await renderSvg(vegaLite(blockingFigure(f))),
    response: await renderSvg(vegaLite(responseFigure(f))),
    deadline: await renderSvg(vegaLite(deadlineFigure(f)))
  }
}

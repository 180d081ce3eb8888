import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

/**
 * Plots as SVG files, for the benches and `p2pfaas experiment`: a Vega-Lite spec compiled to Vega
 * and rendered headless by vega's View.toSVG() (no browser, no canvas: text is measured by
 * estimate, which is fine for SVG). Heavy to load (some MiB): import this module only where a plot
 * is drawn, never from a module every CLI command loads.
 */

/**
 * A spec written as plain data. Vega-Lite's TypeScript types for composed specs (layers of
 * encodings with conditional fields) are stricter than what type inference makes of an object
 * literal; its compiler checks the spec itself when it renders, and throws on a bad one.
 */
export const vegaLite = (spec: Record<string, unknown>): TopLevelSpec => spec as unknown as TopLevelSpec

/** Renders any Vega-Lite spec to an SVG document. */
export async function renderSvg (spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

export interface SeriesPoint {
  x: number
  y: number
  /** The line this point belongs to (one colour per series, shared by every panel). */
  series: string
}

export interface SeriesPanel {
  title: string
  yTitle: string
  points: SeriesPoint[]
}

export interface SeriesPlotInit {
  title: string
  xTitle: string
  panels: SeriesPanel[]
  /** x on a log-2 axis (sizes that double), ticks at the x values given. */
  log2X?: boolean
  /** Series drawn dashed (floors, baselines). */
  dashed?: (series: string) => boolean
  /** A colour per series, in legend order; otherwise Vega's default palette. */
  colors?: Record<string, string>
  width?: number
  height?: number
}

/** Panels side by side, each a line per series against x: the usual "figure against N" of a bench. */
export function seriesPlot (init: SeriesPlotInit): TopLevelSpec {
  const xs = [...new Set(init.panels.flatMap(p => p.points.map(pt => pt.x)))].sort((a, b) => a - b)
  const dashed = init.dashed ?? (() => false)
  const panel = (p: SeriesPanel): Record<string, unknown> => ({
    title: p.title,
    width: init.width ?? 320,
    height: init.height ?? 240,
    data: { values: p.points.map(pt => ({ ...pt, kind: dashed(pt.series) ? 'floor' : 'measured' })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: init.xTitle,
        scale: init.log2X === true ? { type: 'log', base: 2, domain: xs.length > 1 ? [xs[0], xs.at(-1)] : undefined } : { zero: false },
        axis: { values: xs, format: 'd' }
      },
      y: { field: 'y', type: 'quantitative', title: p.yTitle, scale: { zero: true } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2 },
        scale: init.colors != null ? { domain: Object.keys(init.colors), range: Object.values(init.colors) } : undefined
      },
      // Dashed series say so in their names; a second legend for the dash would only repeat it.
      strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['measured', 'floor'], range: [[1, 0], [5, 3]] } },
      tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y', format: '.1f' }]
    }
  })
  return vegaLite({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: init.title, anchor: 'start', offset: 18 },
    hconcat: init.panels.map(panel),
    spacing: 40,
    config: { font: 'sans-serif' }
  })
}

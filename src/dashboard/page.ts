/**
 * The dashboard's page and stylesheet, served from memory by the gateway. Everything the browser
 * loads comes from the node itself: edge sites are often offline, so no CDN, no web fonts.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>P2PFaaS mesh</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<header>
  <h1>P2PFaaS</h1>
  <span id="self" class="muted"></span>
  <span id="status" role="status" aria-live="polite">connecting…</span>
</header>
<main>
  <section id="graph-panel" aria-labelledby="h-graph">
    <h2 id="h-graph">Mesh</h2>
    <svg id="graph" viewBox="0 0 400 400" role="group" aria-label="mesh graph: nodes and their connections"></svg>
    <p class="legend"><span class="dot self"></span>this node <span class="dot busy"></span>loaded <span class="dot gone"></span>gone <span class="line active"></span>hand-offs (last 3 s)</p>
  </section>
  <section id="series-panel" aria-labelledby="h-series">
    <h2 id="h-series">Calls per second</h2>
    <svg id="chart-calls" class="chart" viewBox="0 0 600 160" role="img" aria-label="calls per second"></svg>
    <p class="legend"><span class="line arrivals"></span>arrivals <span class="line local"></span>run where they arrived <span class="line forwarded"></span>forwarded <span class="line rejected"></span>rejected</p>
    <h3>Latency (ms)</h3>
    <svg id="chart-latency" class="chart" viewBox="0 0 600 160" role="img" aria-label="latency per second"></svg>
    <p class="legend"><span class="line p50"></span>p50 <span class="line p99"></span>p99</p>
  </section>
  <section id="nodes-panel" aria-labelledby="h-nodes">
    <h2 id="h-nodes">Nodes</h2>
    <div class="scroll"><table id="nodes"><thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Last load</th><th scope="col">Running / slots · queued</th><th scope="col">Functions</th><th scope="col">Addresses</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="functions-panel" aria-labelledby="h-functions">
    <h2 id="h-functions">Functions</h2>
    <div class="scroll"><table id="functions"><thead><tr><th scope="col">Function</th><th scope="col">Nodes</th><th scope="col">Calls/s</th><th scope="col">Rejected</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="traces-panel" aria-labelledby="h-traces">
    <h2 id="h-traces">Recent calls</h2>
    <div class="scroll"><table id="traces"><thead><tr><th scope="col">Time</th><th scope="col">Function</th><th scope="col">Outcome</th><th scope="col">Path</th><th scope="col">Total</th><th scope="col">Per hop (queue + exec)</th></tr></thead><tbody></tbody></table></div>
  </section>
  <section id="policy-panel" aria-labelledby="h-policy">
    <h2 id="h-policy">Scheduling policy</h2>
    <p>In force on this node: <strong id="policy"></strong></p>
    <div id="learning" hidden>
      <h3>Learning</h3>
      <dl id="learning-stats"></dl>
    </div>
    <form id="policy-form">
      <label>New policy <input name="policy" placeholder="power-of-d:d=2" required maxlength="256" autocomplete="off"></label>
      <label>Admin secret <input name="secret" type="password" required maxlength="1024" autocomplete="current-password"></label>
      <button type="submit">Apply</button>
      <output id="policy-result" aria-live="polite"></output>
    </form>
  </section>
</main>
<script type="module" src="/ui/main.js"></script>
</body>
</html>
`

export const STYLE_CSS = `
:root { --bg: #0f1419; --panel: #182029; --fg: #e6e9ec; --muted: #8b98a5; --line: #2c3947;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #58a6ff; --fwd: #bc8cff; font-size: 15px; }
@media (prefers-color-scheme: light) { :root { --bg: #f6f8fa; --panel: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 1rem/1.4 system-ui, sans-serif; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.2rem; margin: 0; } h2 { font-size: 1rem; margin: 0 0 .5rem; } h3 { font-size: .9rem; margin: .5rem 0 .2rem; color: var(--muted); }
main { display: grid; gap: 1rem; padding: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .8rem; min-width: 0; }
#nodes-panel, #traces-panel { grid-column: 1 / -1; }
@media (min-width: 1800px) { main { grid-template-columns: repeat(3, 1fr); } #traces-panel { grid-column: span 2; } #nodes-panel { grid-column: span 3; } }
.muted { color: var(--muted); } #status { margin-left: auto; color: var(--muted); } #status.live { color: var(--ok); } #status.down { color: var(--bad); }
svg { width: 100%; height: auto; display: block; }
#graph { max-height: 60vh; }
.edge { stroke: var(--line); stroke-width: 1.5; } .edge.active { stroke: var(--fwd); }
.node circle { stroke: var(--bg); stroke-width: 2; } .node.self circle { stroke: var(--accent); stroke-width: 4; }
.node.gone circle { fill: transparent !important; stroke: var(--muted); stroke-dasharray: 4 3; } .node.stale circle { opacity: .6; }
.node text { fill: var(--fg); pointer-events: none; }
.node:focus { outline: none; } .node:focus circle, .node.selected circle { stroke: var(--fg); stroke-width: 4; }
.chart .axis { stroke: var(--line); } .chart text { fill: var(--muted); font-size: 11px; }
.chart polyline { fill: none; stroke-width: 2; }
.dot-p50Ms { fill: var(--accent); } .dot-p99Ms { fill: var(--warn); }
.arrivals { stroke: var(--fg); } .local { stroke: var(--ok); } .forwarded { stroke: var(--fwd); } .rejected { stroke: var(--bad); } .p50Ms { stroke: var(--accent); } .p99Ms { stroke: var(--warn); }
.legend { font-size: .8rem; color: var(--muted); display: flex; gap: .3rem .8rem; flex-wrap: wrap; align-items: center; margin: .3rem 0 0; }
.dot { display: inline-block; width: .8em; height: .8em; border-radius: 50%; background: var(--ok); margin-right: .2em; }
.dot.self { background: transparent; border: 3px solid var(--accent); } .dot.busy { background: var(--bad); } .dot.gone { background: transparent; border: 1px dashed var(--muted); }
.line { display: inline-block; width: 1.4em; border-top: 3px solid; margin-right: .2em; } .line.active { border-color: var(--fwd); }
.line.arrivals { border-color: var(--fg); } .line.local { border-color: var(--ok); } .line.forwarded { border-color: var(--fwd); } .line.rejected { border-color: var(--bad); } .line.p50 { border-color: var(--accent); } .line.p99 { border-color: var(--warn); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
tr.self td:first-child { color: var(--accent); font-weight: 600; } tr.gone { color: var(--muted); text-decoration: line-through; } tr.stale td:nth-child(2) { color: var(--warn); }
tr.selected { background: color-mix(in srgb, var(--accent) 15%, transparent); }
.outcome-rejected, .outcome-error { color: var(--bad); } .outcome-forwarded { color: var(--fwd); } .outcome-local { color: var(--ok); }
.bar { display: inline-block; height: .6em; background: var(--ok); vertical-align: middle; margin-left: .4em; border-radius: 2px; }
#learning dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .2rem 0 .8rem; font-size: .88rem; font-variant-numeric: tabular-nums; }
#learning dt { color: var(--muted); } #learning dd { margin: 0; }
form { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, button { font: inherit; padding: .35rem .5rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); min-height: 2.2rem; }
button { background: var(--accent); color: #fff; border: 0; cursor: pointer; } button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
`

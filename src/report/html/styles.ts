/** The report's whole stylesheet, inlined in the page (no external fetch). Light, with a dark variant. */
export const STYLES = `
:root { --fg:#1f2328; --muted:#656d76; --bg:#ffffff; --panel:#f6f8fa; --line:#d0d7de; --grid:#eaeef2;
  --held:#1a7f37; --held-bg:#dafbe1; --failed:#cf222e; --failed-bg:#ffebe9; --nodata:#9a6700; --nodata-bg:#fff8c5;
  --rps:#0969da; --retries:#bc4c00; --p50:#1a7f37; --p90:#8250df; --p99:#cf222e; --errors:#cf222e;
  --b0:rgba(212,167,44,.22); --b0s:#bf8700; --b1:rgba(130,80,223,.16); --b1s:#8250df; --b2:rgba(27,124,131,.18); --b2s:#1b7c83; --b3:rgba(191,57,137,.16); --b3s:#bf3989; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --muted:#8d96a0; --bg:#0d1117; --panel:#161b22; --line:#30363d; --grid:#21262d;
  --held:#3fb950; --held-bg:#12261e; --failed:#f85149; --failed-bg:#2d1214; --nodata:#d29922; --nodata-bg:#272115;
  --rps:#4493f8; --retries:#db6d28; --p50:#3fb950; --p90:#a371f7; --p99:#f85149; --errors:#f85149; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 6px; }
h3.group { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin-top: 26px; }
h4 { font-size: 14px; margin: 12px 0 6px; }
.nowrap { white-space: nowrap; }
.sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 6px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.muted, .where { color: var(--muted); }
.where { font-size: 11.5px; }
.description { margin: 4px 0 8px; max-width: 900px; }
.meta { color: var(--muted); font-size: 12.5px; }
.meta span + span::before { content: " · "; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12.5px; font-weight: 600; white-space: nowrap; }
h1 .pill { font-size: 14px; padding: 2px 12px; }
.pill.held, .pill.passed { color: var(--held); background: var(--held-bg); }
.pill.failed { color: var(--failed); background: var(--failed-bg); }
.pill.no-data, .pill.inconclusive { color: var(--nodata); background: var(--nodata-bg); }
.alert { border-left: 4px solid var(--failed); background: var(--failed-bg); padding: 8px 12px; margin: 12px 0; border-radius: 4px; }
.alert pre { margin: 8px 0 0; white-space: pre-wrap; font-size: 12px; }
ul.logs { margin: 4px 0; padding-left: 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 16px 0 4px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--panel); }
td.measured, th.measured { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.window { white-space: nowrap; }
table.load th { width: 1%; background: none; font-size: 13px; color: var(--fg); }
table.load tr.off th, table.load tr.off td { color: var(--failed); }
td.evidence p { margin: 0 0 4px; }
tr.verdict.failed td.status, tr.verdict.no-data td.status { box-shadow: inset 3px 0 0 var(--failed); }
tr.verdict.inconclusive td.status { box-shadow: inset 3px 0 0 var(--nodata); }
details summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0; }
.chip { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; font-size: 12px; font-variant-numeric: tabular-nums; }
.chip .k { color: var(--muted); }
ol.decisive { margin: 4px 0 0; padding-left: 18px; font-size: 12.5px; }
ol.decisive .t { font-variant-numeric: tabular-nums; color: var(--muted); }
ol.decisive .who { font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12.5px; color: var(--muted); margin: 4px 0 8px; }
.legend .sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.legend .ln { display: inline-block; width: 16px; height: 0; border-top: 2.5px solid; vertical-align: 3px; margin-right: 5px; }
.scope { margin: 8px 0 18px; }
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 6px 6px 2px; }
figcaption { font-size: 12px; color: var(--muted); padding: 0 4px 2px; display: flex; justify-content: space-between; gap: 8px; }
figcaption .keys span { margin-left: 8px; white-space: nowrap; }
figcaption .keys i { display: inline-block; width: 10px; height: 0; border-top: 2.5px solid; vertical-align: 3px; margin-right: 3px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font: 10px system-ui, sans-serif; fill: var(--muted); }
svg.chart .tick.y { text-anchor: end; }
svg.chart .tick.x { text-anchor: middle; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis { stroke: var(--line); stroke-width: 1; }
svg.chart .series.line { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .series.bars rect { stroke: none; }
.s-rps { stroke: var(--rps); fill: var(--rps); color: var(--rps); }
.s-retries { stroke: var(--retries); fill: var(--retries); color: var(--retries); }
svg.chart .series.line.s-retries { stroke-dasharray: 4 3; }
.s-i0 { stroke: #54aeff; color: #54aeff; } .s-i1 { stroke: #e16f24; color: #e16f24; } .s-i2 { stroke: #2da44e; color: #2da44e; }
.s-i3 { stroke: #bf3989; color: #bf3989; } .s-i4 { stroke: #9a6700; color: #9a6700; } .s-i5 { stroke: #6639ba; color: #6639ba; }
svg.chart .series.line.inst { stroke-width: 1.1; opacity: .9; }
.s-p50 { stroke: var(--p50); color: var(--p50); }
.s-p90 { stroke: var(--p90); color: var(--p90); }
.s-p99 { stroke: var(--p99); color: var(--p99); }
.s-errors { fill: var(--errors); color: var(--errors); }
svg.chart .series.line.s-rps, svg.chart .series.line.s-p50, svg.chart .series.line.s-p90, svg.chart .series.line.s-p99 { fill: none; }
.fault-band.c0, .sw.c0 { fill: var(--b0); background: var(--b0); stroke: var(--b0s); }
.fault-band.c1, .sw.c1 { fill: var(--b1); background: var(--b1); stroke: var(--b1s); }
.fault-band.c2, .sw.c2 { fill: var(--b2); background: var(--b2); stroke: var(--b2s); }
.fault-band.c3, .sw.c3 { fill: var(--b3); background: var(--b3); stroke: var(--b3s); }
svg.chart .fault-band { stroke-width: 0; }
svg.chart .fault-band.not-applied { fill: none; stroke-width: 1; stroke-dasharray: 2 3; opacity: .7; }
svg.chart .band-label { font-size: 9.5px; fill: var(--muted); font-weight: 600; }
svg.chart .mark line { stroke: var(--fg); stroke-width: 1; stroke-dasharray: 2 2; opacity: .55; }
svg.chart .mark text { text-anchor: middle; font-size: 10px; fill: var(--fg); }
svg.chart .mark-ejected line, svg.chart .mark-unhealthy line, svg.chart .mark-killed line { stroke: var(--failed); opacity: .8; }
svg.chart .mark-ejected text, svg.chart .mark-unhealthy text, svg.chart .mark-killed text { fill: var(--failed); }
svg.chart .mark-returned line, svg.chart .mark-healthy line, svg.chart .mark-restarted line { stroke: var(--held); }
svg.chart .mark-returned text, svg.chart .mark-healthy text, svg.chart .mark-restarted text { fill: var(--held); }
svg.chart .stopped, .sw.stopped { fill: rgba(127,127,127,.14); background: rgba(127,127,127,.18); }
svg.chart .stopped-label { text-anchor: middle; font-size: 11px; fill: var(--muted); }
svg.chart .hover rect { fill: transparent; }
svg.chart .hover rect:hover { fill: rgba(127,127,127,.10); }
.events td.t { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
table.waterfall td.num, table.budgets td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.topology { margin-bottom: 12px; }
table.topology td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.waterfall td.wf-track { width: 38%; min-width: 160px; }
.wf-bar { height: 10px; border-radius: 2px; background: var(--rps); }
.wf-bar.failed { background: var(--failed); }
tr.wf-failed td:first-child { color: var(--failed); }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
`;

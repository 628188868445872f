import type { LoadHonesty } from '../../load/load-honesty.ts';
import { loadFacts } from '../load-honesty-text.ts';
import { describeMeshEvent, type Describer } from '../../contract/describe-mesh-event.ts';
import { anyBudgetRefusal, edgeStats } from '../edge-stats.ts';
import { SETUP_EVENT_TYPES } from '../../contract/mesh-event.ts';
import type { ReportOptions, RunResult } from '../run-result.ts';
import type { Verdict } from '../../verdict/verdict.ts';
import { actualText, faultTargetText, faultText, scheduledText } from '../describe.ts';
import { formatDuration, formatLatency, formatPercent, formatRate, plural } from '../../util/format.ts';
import { chartData, type ScopeSeries } from './chart-data.ts';
import { escapeHtml } from './escape.ts';
import { expectationsTable } from './expectations-table.ts';
import { faultBands, stateMarks, stoppedAtSecond, type FaultBand, type StateMark } from './run-marks.ts';
import { STYLES } from './styles.ts';
import { timeChart, type ChartSeries } from './time-chart.ts';
import { tracesSection } from './traces-section.ts';
import { securitySection } from './security-section.ts';
import { topologySection } from './topology-section.ts';
import { breachesOf, healthCost, healthRows } from '../../contract/describe-run-health.ts';
import type { PromiseBreach, RunHealth } from '../../contract/run-health.ts';

/** Instances drawn one by one in a service's rps chart, at most (more would be a tangle). */
const INSTANCE_LINES = 6;
/** At most this many events in the list (a long run with a chatty policy could have thousands). */
const MAX_EVENTS = 300;

/**
The run as one self-contained HTML page (report.html): the verdicts with their evidence, the faults
planned and as they happened, and SVG charts per scope — the client, every edge, every service —
of rps, latency percentiles and errors over the run, with faults as bands and state changes
(ejections, health checks, kills, pauses) as marks. Inline CSS and SVG only: no script, no font, no
fetch, so it opens offline and from a CI artefact. Pure: everything comes from `result` (as read
back from result.json too, where a NaN is null), so `meshproof report` re-renders it.
*/
export function renderHtml(result: RunResult, options: ReportOptions = {}): string {
  const describe = options.describe ?? describeMeshEvent;
  const verdicts: Verdict[] = result.verdicts.map((v) => ({ ...v, measured: v.measured ?? NaN }));
  const { scenario } = result;
  const held = verdicts.filter((v) => v.status === 'held').length;
  const bands = faultBands(result);
  const marks = stateMarks(result, describe);
  const scopes = chartData(result);
  const title = `${result.passed ? '✔' : '✘'} ${scenario.name} — meshproof`;

  const body: string[] = [];
  const inconclusive = verdicts.filter((v) => v.status === 'inconclusive').length;
  const onlyInconclusive = !result.passed && !result.error && inconclusive > 0 && verdicts.every((v) => v.status === 'held' || v.status === 'inconclusive');
  const status = result.passed ? '<span class="pill passed">✔ passed</span>' : onlyInconclusive ? '<span class="pill inconclusive">? inconclusive</span>' : '<span class="pill failed">✘ failed</span>';
  const tally = `${held} of ${plural(verdicts.length, 'expectation')} held${inconclusive ? `, ${inconclusive} inconclusive` : ''}`;
  body.push(`<header><h1><span>${escapeHtml(scenario.name)}</span>${status}<span class="muted" style="font-size:14px;font-weight:400">${tally}</span></h1>`);
  if (scenario.description) body.push(`<p class="description">${escapeHtml(scenario.description)}</p>`);
  body.push(
    `<div class="meta"><span>run <code>${escapeHtml(result.runId)}</code></span><span>started ${escapeHtml(result.startedAt)}</span>` +
      `<span>${escapeHtml(formatDuration(scenario.durationMs))} of load</span><span>runtime ${escapeHtml(result.runtime)}</span>` +
      `<span>seed ${escapeHtml(String(scenario.seed))}</span><span><code>${escapeHtml(scenario.source?.file ?? '')}</code></span><span>meshproof ${escapeHtml(result.meshproofVersion)}</span></div></header>`,
  );
  if (result.error) body.push(errorAlert(result.error));
  body.push(cards(result));
  body.push(budgetsSection(result));
  body.push(logsSection(result));

  body.push(`<section id="expectations"><h2>Expectations</h2>${expectationsTable(verdicts, scenario.source?.file ?? 'scenario', describe)}</section>`);
  body.push(topologySection(result));
  if (result.health) body.push(healthSection(result.health, breachesOf(result.verdicts)));
  if ((scenario.faults ?? []).length) body.push(faultsSection(result, bands));
  if (result.load.honesty) body.push(loadSection(result.load.honesty, result.load.sender));
  body.push(chartsSection(result, scopes, bands, marks));
  body.push(securitySection(result));
  body.push(tracesSection(result.traces));
  body.push(eventsSection(result, marks, describe));
  body.push(
    `<footer>Written by meshproof ${escapeHtml(result.meshproofVersion)} from result.json; re-render with <code>meshproof report &lt;this folder&gt;</code>. ` +
      `Re-run with <code>meshproof run ${escapeHtml(scenario.source?.file ?? '')}</code>.</footer>`,
  );

  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    // No request may leave the page: everything it shows is in it.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>${escapeHtml(title)}</title><style>${STYLES}</style></head>\n<body><main>\n${body.join('\n')}\n</main></body></html>\n`
  );
}

/** A multi-line error (a program that did not start, with the end of its output) keeps its lines. */
function errorAlert(error: string): string {
  const nl = error.indexOf('\n');
  if (nl < 0) return `<div class="alert"><strong>The run did not complete:</strong> ${escapeHtml(error)}</div>`;
  return `<div class="alert"><strong>The run did not complete:</strong> ${escapeHtml(error.slice(0, nl))}<pre>${escapeHtml(error.slice(nl + 1))}</pre></div>`;
}

/** Links to the output of each user's program (command or image), kept beside the report. */
function logsSection(result: RunResult): string {
  const logs = (result.instances ?? []).filter((i) => i.log);
  if (logs.length === 0) return '';
  const items = logs.map((i) => `<li><a href="${escapeHtml(i.log!)}"><code>${escapeHtml(i.log!)}</code></a> — ${escapeHtml(i.instance)}</li>`).join('');
  return `<section id="logs"><h2>Your programs' output</h2><p class="muted">stdout and stderr of each instance, with a line from meshproof at each start and exit.</p><ul class="logs">${items}</ul></section>`;
}

function cards(result: RunResult): string {
  const load = result.load;
  const client = result.timeline.series.client ?? [];
  const ok = client.reduce((a, b) => a + b.ok, 0);
  const total = client.reduce((a, b) => a + b.requests, 0);
  const items: [string, string][] = [
    [String(load.requests), 'requests'],
    [formatRate(load.achievedRate), load.targetRate === null ? 'achieved (closed loop)' : `achieved (target ${formatRate(load.targetRate)})`],
    ...(load.honesty?.model === 'open' ? [[String(load.honesty.dropped.total), 'dropped (not sent)'] as [string, string]] : []),
    [total ? formatPercent(ok / total) : '—', 'client success'],
    [String(load.errors), 'without a response'],
    [String((result.faults ?? []).filter((f) => f.startedMs !== null).length) + ' / ' + String((result.scenario.faults ?? []).length), 'faults applied'],
    [result.configPushMs === null ? '—' : formatLatency(result.configPushMs), 'config push to every sidecar'],
  ];
  return `<div class="cards">${items.map(([v, k]) => `<div class="card"><div class="v">${escapeHtml(v)}</div><div class="k">${escapeHtml(k)}</div></div>`).join('')}</div>`;
}

/** Per edge, what the budgets refused: rate limits and quotas (429 RL), deadlines run out (DE); nothing when none did. */
function budgetsSection(result: RunResult): string {
  const edges = edgeStats(result.scenario, result.timeline);
  if (!anyBudgetRefusal(edges)) return '';
  const rows = edges
    .map((e) => `<tr><td class="nowrap"><code>${escapeHtml(e.from)}</code> → <code>${escapeHtml(e.to)}</code></td><td class="num">${e.requests}</td><td class="num">${e.limited}</td><td class="num">${e.deadlineExceeded}</td></tr>`)
    .join('');
  return (
    `<section id="budgets"><h2>Budgets per edge</h2><table class="budgets"><thead><tr><th>Edge</th><th>Requests</th><th>Rate limited / over quota (429 RL)</th><th>Deadline exceeded (DE)</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="muted">As each caller's sidecar saw its calls, after retries. A quota is counted for every replica of the callee together, by the run's rate-limit service.</p></section>`
  );
}

/** How faithfully the declared load was delivered: each figure, with its goal missed marked. */
function loadSection(h: LoadHonesty, sender: RunResult['load']['sender']): string {
  const rows = loadFacts(h, sender).map(
    (f) => `<tr${f.ok === false ? ' class="off"' : ''}><th scope="row" class="nowrap">${f.ok === false ? '✘ ' : ''}${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`,
  );
  return (
    `<section id="load"><h2>Load delivered</h2><table class="load"><tbody>${rows.join('')}</tbody></table>` +
    `<p class="muted">Measured at the load generator: each request's intended send time against when it went out. p99(client) and the other client figures count latency from the intended send time.</p></section>`
  );
}

/** The harness's promises as the run kept them: a broken one is what made a verdict inconclusive. */
function healthSection(health: RunHealth, breaches: PromiseBreach[]): string {
  const rows = healthRows(health, breaches)
    .map((h) => `<tr class="${h.kept ? 'kept' : 'broken'}"><td class="status"><span class="pill ${h.kept ? 'held' : 'inconclusive'}">${h.kept ? '✔ kept' : '? broken'}</span></td><td>${escapeHtml(h.what)}</td><td>${escapeHtml(h.figure)}</td><td class="muted">${escapeHtml(h.limit)}</td><td>${escapeHtml(healthCost(h))}</td></tr>`)
    .join('');
  return (
    `<section id="health"><h2>Harness health</h2><p class="muted">The promises the verdicts depend on: faults on time, event loops and CPU not starved, the declared load delivered. ` +
    `An expectation that depends on a broken one is inconclusive.</p>` +
    `<table class="health"><thead><tr><th></th><th>Promise</th><th>Measured</th><th>Limit</th><th>Cost</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

function faultsSection(result: RunResult, bands: FaultBand[]): string {
  const rows = (result.scenario.faults ?? []).map((f, i) => {
    const r = (result.faults ?? []).find((x) => x.name === f.name);
    return (
      `<tr data-fault="${escapeHtml(f.name)}"><td class="nowrap"><span class="sw c${bands[i]?.colour % 4}"></span><code>${escapeHtml(f.name)}</code></td>` +
      `<td class="nowrap"><code>${escapeHtml(faultTargetText(f))}</code></td><td>${escapeHtml(faultText(f))}</td><td>${escapeHtml(scheduledText(f))}</td>` +
      `<td>${escapeHtml(actualText(r))}</td><td>${escapeHtml(r?.detail || '—')}</td></tr>`
    );
  });
  return (
    `<section id="faults"><h2>Faults</h2><table class="faults"><thead><tr><th>Fault</th><th>Target</th><th>What</th><th>Planned</th><th>Took effect</th><th>Detail</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>` +
    `<p class="muted">An exited instance leaves the endpoints ${escapeHtml(formatDuration(result.endpointRemovalDelayMs ?? 0))} after it exits, as a readiness probe would notice.</p></section>`
  );
}

function chartsSection(result: RunResult, scopes: ScopeSeries[], bands: FaultBand[], marks: StateMark[]): string {
  const seconds = result.timeline.seconds;
  const stopped = stoppedAtSecond(result);
  if (scopes.length === 0) return `<section id="charts"><h2>Over time</h2><p class="muted">Nothing was measured: the run stopped before its load started.</p></section>`;
  const legend =
    `<div class="legend">` +
    bands.map((b) => `<span><span class="sw c${b.colour % 4}"></span>fault <code>${escapeHtml(b.name)}</code>${b.applied ? '' : ' (never took effect)'}</span>`).join('') +
    `<span>⊘ ejected · ↺ back from ejection · ✚ health check failed · ✓ passed · ✖ killed · Ⅱ paused · ▶ restarted</span>` +
    (stopped !== null ? `<span><span class="sw stopped"></span>the run stopped at ${stopped}s: nothing measured after</span>` : '') +
    `<span>per second of the load; hover a chart for the figures</span></div>`;
  const groups: [ScopeSeries['kind'], string][] = [
    ['client', 'Client (what the load generator saw, end to end)'],
    ['edge', 'Edges (what the caller saw, after retries)'],
    ['service', 'Services (what their instances received)'],
  ];
  const parts = [`<section id="charts"><h2>Over time</h2>${legend}`];
  for (const [kind, heading] of groups) {
    const of = scopes.filter((s) => s.kind === kind);
    if (!of.length) continue;
    parts.push(`<h3 class="group">${escapeHtml(heading)}</h3>`);
    for (const s of of) parts.push(scopeCharts(s, seconds, stopped, bands, kind === 'client' ? marks : marks.filter((m) => s.services.includes(m.service))));
  }
  parts.push('</section>');
  return parts.join('\n');
}

function scopeCharts(s: ScopeSeries, seconds: number, stopped: number | null, bands: FaultBand[], marks: StateMark[]): string {
  const col = <K extends keyof ScopeSeries['seconds'][number]>(k: K) => s.seconds.map((f) => f[k]);
  const rps: ChartSeries[] = [{ label: 'rps', cls: 's-rps', values: col('requests') }];
  if (s.kind === 'edge' && s.seconds.some((f) => f.retries > 0)) rps.push({ label: 'retries/s', cls: 's-retries', values: col('retries') });
  // A service with a few instances: each one's rps too, so an ejected, killed or starved instance shows.
  const instances = s.instances ?? [];
  if (instances.length > 1 && instances.length <= INSTANCE_LINES) {
    instances.forEach((i, k) => rps.push({ label: i.instance, cls: `s-i${k} inst`, values: i.seconds.map((f) => f.requests) }));
  }
  const latency: ChartSeries[] = [
    { label: 'p50', cls: 's-p50', values: col('p50') },
    { label: 'p90', cls: 's-p90', values: col('p90') },
    { label: 'p99', cls: 's-p99', values: col('p99') },
  ];
  const errors: ChartSeries[] = [{ label: 'errors/s', cls: 's-errors', values: col('errors'), draw: 'bars' }];
  const totalErrors = s.seconds.reduce((a, f) => a + f.errors, 0);
  const totalRequests = s.seconds.reduce((a, f) => a + f.requests, 0);
  const common = { seconds, bands, marks, stoppedAtSecond: stopped };
  const fig = (caption: string, keys: ChartSeries[], chart: string) =>
    `<figure><figcaption><span>${escapeHtml(caption)}</span><span class="keys">${keys.map((k) => `<span class="${k.cls}"><i></i>${escapeHtml(k.label)}</span>`).join('')}</span></figcaption>${chart}</figure>`;
  const attrs = (metric: string) => ({ 'data-scope': s.key, 'data-metric': metric });
  return (
    `<div class="scope" id="${escapeHtml(s.key.replace(/[^A-Za-z0-9_-]+/g, "-"))}" data-scope="${escapeHtml(s.key)}"><h4>${escapeHtml(s.title)}</h4><div class="charts">` +
    fig('requests per second', rps, timeChart({ ...common, series: rps, format: (v) => `${round(v)}/s`, label: `${s.title}: requests per second`, attributes: attrs('rps') })) +
    fig('latency', latency, timeChart({ ...common, series: latency, format: (v) => formatLatency(v), label: `${s.title}: latency p50, p90, p99`, attributes: attrs('latency') })) +
    fig(
      `errors (5xx or no response): ${totalErrors} of ${totalRequests}${totalRequests ? `, ${formatPercent(totalErrors / totalRequests)}` : ''}`,
      errors,
      timeChart({ ...common, series: errors, integer: true, format: (v) => `${round(v)}/s`, label: `${s.title}: errors per second`, attributes: attrs('errors') }),
    ) +
    `</div></div>`
  );
}

function eventsSection(result: RunResult, marks: StateMark[], describe: Describer): string {
  const t0 = result.timeline.t0;
  const events = (result.events ?? []).filter((e) => !SETUP_EVENT_TYPES.has(e.type)).sort((a, b) => a.at - b.at);
  const rows: { atMs: number; who: string; type: string; message: string }[] = events.map((e) => ({ atMs: e.at - t0, who: e.instance, type: e.type, message: describe(e) }));
  for (const f of result.faults ?? []) {
    if (f.startedMs !== null) rows.push({ atMs: f.startedMs, who: 'harness', type: 'fault-started', message: `${f.name}: ${f.detail}` });
    if (f.endedMs !== null) rows.push({ atMs: f.endedMs, who: 'harness', type: 'fault-ended', message: f.name });
  }
  for (const s of result.states ?? []) rows.push({ atMs: s.atMs, who: 'harness', type: s.state, message: `${s.instance}: ${s.reason}` });
  rows.sort((a, b) => a.atMs - b.atMs);
  const shown = rows.slice(0, MAX_EVENTS);
  const body = shown
    .map((r) => `<tr><td class="t">${escapeHtml(formatDuration(Math.round(r.atMs)))}</td><td>${escapeHtml(r.who)}</td><td><code>${escapeHtml(r.type)}</code></td><td>${escapeHtml(r.message)}</td></tr>`)
    .join('');
  const more = rows.length > shown.length ? `<p class="muted">and ${rows.length - shown.length} more in result.json.</p>` : '';
  return (
    `<section id="events"><h2>Events</h2><details${rows.length <= 40 ? ' open' : ''}><summary>${plural(rows.length, 'event')} (faults, state changes and what the sidecars reported; ${marks.length} state change${marks.length === 1 ? '' : 's'} marked on the charts)</summary>` +
    `<table class="events"><thead><tr><th>At</th><th>Who</th><th>What</th><th>Message</th></tr></thead><tbody>${body}</tbody></table>${more}</details></section>`
  );
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10);
}

import { Box } from 'ink';
import type { ReactElement } from 'react';
import type { DestinationPolicy } from '../../contract/mesh-policy.ts';
import { formatDuration, formatPercent } from '../../util/format.ts';
import { seconds, shortLatency, shortPercent, shortRps, sparkline } from '../format.ts';
import { runMs, type RunViewState } from '../state/run-view-state.ts';
import { edgeFigures, history, instanceFigures, logAbout, serviceFigures, serviceKeys, type Figures } from '../state/selectors.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs } from './segs.ts';
import { errorTone, INSTANCE_BADGE } from './vocabulary.ts';

export interface DetailsProps {
  readonly state: RunViewState;
  /** `service:<name>` or `instance:<name>`. */
  readonly selected: string | null;
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
}

/**
The selected service or instance up close. A service: its policy as a destination in plain words
(timeout, retries, outlier detection, pool limits), its figures with history, each instance's state
and why, its edges in and out with retries and response flags. An instance: its state, since when
and why (who ejected it, with the sidecar's words), its figures with history, flags, and the events
about it.
*/
export function Details(props: DetailsProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(detailsRows(props), props.color));
}

export function detailsRows(props: DetailsProps): Seg[][] {
  const { state, selected, width, height } = props;
  if (height <= 0) return [];
  const rows = selected?.startsWith('instance:') ? instanceRows(state, selected.slice(9), width) : selected?.startsWith('service:') ? serviceRows(state, selected.slice(8), width) : [[{ text: 'DETAILS', tone: 'accent', bold: true }, { text: '  select a service or instance with ↑ ↓', tone: 'dim' }] satisfies Seg[]];
  return rows.slice(0, height).map((r) => fitSegs(r, width));
}

function sparkW(width: number): number {
  return width >= 100 ? 16 : 10;
}

function figureLine(label: string, f: Figures | null): Seg[] {
  if (!f) return [{ text: label, tone: 'dim' }, { text: 'no live figures yet', tone: 'dim' }];
  const et = errorTone(f.errorRate);
  const out: Seg[] = [{ text: label, tone: 'dim' }, { text: `${shortRps(f.rps)} rps`, bold: true }, { text: '  err ' }, { text: `${shortPercent(f.errorRate)}${et.mark}`, tone: et.tone }, { text: `  p99 ${f.rps > 0 ? shortLatency(f.p99) : '–'}` }];
  if (f.retries > 0) out.push({ text: `  +${shortRps(f.retries)} retries`, tone: 'warn' });
  const flags = Object.entries(f.flags).filter(([, n]) => n > 0);
  if (flags.length) out.push({ text: `  flags ${flags.map(([k, n]) => `${k} ${n}`).join(' ')}`, tone: 'warn' });
  return out;
}

function historyLine(state: RunViewState, keys: readonly string[], width: number): Seg[] {
  const w = sparkW(width);
  return [
    { text: 'history  ', tone: 'dim' },
    { text: 'rps ', tone: 'dim' },
    { text: sparkline(history(state, keys, 'rps', w), w), tone: 'accent' },
    { text: '  err ', tone: 'dim' },
    { text: sparkline(history(state, keys, 'errorRate', w), w), tone: 'warn' },
    { text: '  p99 ', tone: 'dim' },
    { text: sparkline(history(state, keys, 'p99', w), w), tone: 'accent' },
  ];
}

function serviceRows(state: RunViewState, name: string, width: number): Seg[][] {
  const s = state.services.find((x) => x.name === name);
  if (!s) return [[{ text: `DETAILS  ${name}: not in this scenario`, tone: 'dim' }]];
  const spec = state.scenario.source.services.find((x) => x.name === name);
  const rows: Seg[][] = [];
  rows.push([
    { text: 'DETAILS ', tone: 'accent', bold: true },
    { text: name, bold: true },
    { text: ` · ${s.instances.length} instance${s.instances.length === 1 ? '' : 's'} · called by ${s.callers.join(', ') || 'nobody'}${s.calls.length ? ` · calls ${s.calls.join(', ')}` : ''}`, tone: 'dim' },
  ]);
  if (spec) {
    const lat = spec.latency?.kind === 'distribution' ? `p50 ${formatDuration(spec.latency.p50Ms)}, p99 ${formatDuration(spec.latency.p99Ms)}` : spec.latency?.kind === 'fixed' ? `${formatDuration(spec.latency.ms)}` : '?';
    const app = [`latency ${lat}`];
    if (spec.errorRate) app.push(`${shortPercent(spec.errorRate)} answered ${spec.errorStatus}`);
    if (spec.concurrency !== null && spec.concurrency !== undefined) app.push(`concurrency ${spec.concurrency} + queue ${spec.queue}`);
    rows.push([{ text: 'app      ', tone: 'dim' }, { text: app.join(' · ') }]);
  }
  for (const p of policyLines(state.scenario.source.mesh?.[name])) rows.push([{ text: 'policy   ', tone: 'dim' }, { text: p }]);
  rows.push(figureLine('now      ', serviceFigures(state, s)));
  rows.push(historyLine(state, serviceKeys(s), width));
  for (const i of s.instances) {
    const inst = state.instances[i];
    const b = INSTANCE_BADGE[inst.status];
    const f = instanceFigures(state, i);
    const since = inst.since !== null && inst.status !== 'healthy' ? ` since ${seconds(runMs(state, inst.since))}` : '';
    rows.push([
      { text: '  ' },
      { text: `${b.mark} ${b.word.padEnd(9)}`, tone: b.tone },
      { text: ` ${i}`, bold: true },
      { text: f ? `  ${shortRps(f.rps)} rps ${shortPercent(f.errorRate)} ${f.rps > 0 ? shortLatency(f.p99) : '–'}` : '', tone: 'dim' },
      { text: since, tone: 'dim' },
      { text: inst.status !== 'healthy' && inst.reason ? `  ${inst.reason}` : '' },
    ]);
  }
  for (const e of state.edges.filter((x) => x.to === name || x.from === name)) {
    const f = edgeFigures(state, e);
    const segs: Seg[] = [{ text: 'edge     ', tone: 'dim' }, { text: `${e.from} → ${e.to}`, bold: true }];
    if (f) {
      const et = errorTone(f.errorRate);
      segs.push({ text: `  ${shortRps(f.rps)} rps` });
      if (f.retries > 0) segs.push({ text: ` (+${shortRps(f.retries)} retry)`, tone: 'warn' });
      segs.push({ text: '  err ' }, { text: `${shortPercent(f.errorRate)}${et.mark}`, tone: et.tone });
      if (f.actualErrorRate !== null && f.actualRps !== null) segs.push({ text: `  tries ${shortRps(f.actualRps)} rps, ${shortPercent(f.actualErrorRate)} failed`, tone: 'dim' });
      const flags = Object.entries(f.flags).filter(([, n]) => n > 0);
      if (flags.length) segs.push({ text: `  flags ${flags.map(([k, n]) => `${k} ${n}`).join(' ')}`, tone: 'warn' });
    } else segs.push({ text: '  no live figures yet', tone: 'dim' });
    rows.push(segs);
  }
  const about = logAbout(state, name);
  for (const l of about.slice(-3)) rows.push([{ text: `${seconds(runMs(state, l.at)).padStart(7)} `, tone: 'dim' }, { text: l.text, tone: l.tone === 'info' ? undefined : l.tone }]);
  return rows;
}

function instanceRows(state: RunViewState, name: string, width: number): Seg[][] {
  const inst = state.instances[name];
  if (!inst) return [[{ text: `DETAILS  ${name}: not in this scenario`, tone: 'dim' }]];
  const b = INSTANCE_BADGE[inst.status];
  const rows: Seg[][] = [];
  const since = inst.since !== null ? ` since ${seconds(runMs(state, inst.since))}` : '';
  rows.push([{ text: 'DETAILS ', tone: 'accent', bold: true }, { text: name, bold: true }, { text: ` (${inst.service}) `, tone: 'dim' }, { text: `${b.mark} ${b.word}`, tone: b.tone, bold: true }, { text: since, tone: 'dim' }]);
  const ejectors = Object.entries(inst.ejectedBy);
  if (ejectors.length) {
    const callers = state.services.find((s) => s.name === inst.service)?.callers ?? [];
    rows.push([{ text: 'ejected  ', tone: 'dim' }, { text: `by ${ejectors.map(([by]) => by).join(', ')}`, tone: 'warn' }, { text: callers.length ? ` (callers: ${callers.join(', ')})` : '', tone: 'dim' }]);
    for (const [, why] of ejectors.slice(-2)) rows.push([{ text: 'why      ', tone: 'dim' }, { text: why }]);
  } else if (inst.status !== 'healthy' && inst.reason) rows.push([{ text: 'why      ', tone: 'dim' }, { text: inst.reason }]);
  for (const [by, why] of Object.entries(inst.unhealthyBy).slice(-2)) rows.push([{ text: 'health   ', tone: 'dim' }, { text: `${by}: ${why}` }]);
  rows.push(figureLine('now      ', instanceFigures(state, name)));
  rows.push(historyLine(state, [`instance:${name}`], width));
  for (const e of state.edges.filter((x) => x.to === inst.service)) {
    const key = `upstream:${e.from}->${name}`;
    const f = state.series[key] ? edgeFigures(state, { ...e, key, upstreamKeys: [key] }) : null;
    if (f) rows.push([{ text: 'tries    ', tone: 'dim' }, { text: `from ${e.from}: ${shortRps(f.rps)}/s, ${shortPercent(f.errorRate)} failed` }]);
  }
  if (inst.history.length > 1) {
    const changes = inst.history.slice(-4).map((c) => `${seconds(runMs(state, c.at))} ${c.status}`).join(' → ');
    rows.push([{ text: 'changes  ', tone: 'dim' }, { text: changes }]);
  }
  for (const l of logAbout(state, name).slice(-4)) rows.push([{ text: `${seconds(runMs(state, l.at)).padStart(7)} `, tone: 'dim' }, { text: l.text, tone: l.tone === 'info' ? undefined : l.tone }]);
  return rows;
}

/** A destination policy in plain words, one line per concern that is set. */
export function policyLines(p: DestinationPolicy | undefined): string[] {
  if (!p) return [];
  const out: string[] = [];
  const first: string[] = [];
  first.push(p.timeoutMs !== null && p.timeoutMs !== undefined ? `timeout ${formatDuration(p.timeoutMs)}` : 'no timeout');
  if (p.retries) {
    const r = p.retries;
    const per = r.perTryTimeoutMs !== null ? ` × ${formatDuration(r.perTryTimeoutMs)} per try` : '';
    const budget = r.budget ? `, budget ${formatPercent(r.budget.percent)}` : '';
    first.push(`retries ${r.attempts}${per} on ${r.retryOn.join(',')}${budget}`);
  } else first.push('no retries');
  if (p.loadBalancer) first.push(p.loadBalancer);
  out.push(first.join(' · '));
  const od = p.outlierDetection;
  if (od) {
    const when = [od.consecutive5xx !== null ? `${od.consecutive5xx} consecutive 5xx` : '', od.consecutiveGatewayErrors !== null && od.consecutiveGatewayErrors !== undefined ? `${od.consecutiveGatewayErrors} gateway errors` : ''].filter(Boolean).join(' or ');
    out.push(`outlier: ${when} → eject ${formatDuration(od.baseEjectionTimeMs)}×n, at most ${formatPercent(od.maxEjectionPercent)}`);
  }
  const cp = p.connectionPool;
  if (cp && (cp.maxConnections !== null || cp.maxPendingRequests !== null || cp.maxRequests !== null)) {
    const parts = [cp.maxConnections !== null ? `${cp.maxConnections} conns` : '', cp.maxPendingRequests !== null ? `${cp.maxPendingRequests} pending` : '', cp.maxRequests !== null ? `${cp.maxRequests} requests` : ''].filter(Boolean);
    out.push(`pool: ${parts.join(', ')} (over: 503 UO)`);
  }
  return out;
}

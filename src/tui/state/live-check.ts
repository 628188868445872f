import { seriesKey } from '../../contract/series.ts';
import { formatDuration, formatLatency, formatValue } from '../../util/format.ts';
import type { Anchor, AnyExpectation, Expectation, Window } from '../../scenario/scenario.ts';
import { compare } from '../../verdict/compare.ts';
import { metricSeriesKeys, seriesKeysFor } from '../../verdict/scope.ts';
import type { CheckItem, RunViewState } from './run-view-state.ts';
import { faultWindow, merge, nowMs, seriesAt, type Figures } from './selectors.ts';

/**
Where an expectation stands while the run goes on. Only the engine decides (`held`, `broken`,
`no data`, or `inconclusive` when the harness broke a promise it depends on); before that the view estimates from the live per-second figures, so the checklist
settles visibly instead of jumping at the end:
- pending: its window has not opened, or nothing in it was measured yet;
- holding: what was measured so far meets it;
- at risk: what was measured so far does not (it may still recover, or it may break).

The estimate is an indication, not the verdict: latency percentiles are approximated by the worst
second's p99, and seconds are whole.
*/
export type CheckStatus = 'pending' | 'holding' | 'at-risk' | 'held' | 'broken' | 'no-data' | 'inconclusive';

export interface CheckView {
  readonly text: string;
  readonly status: CheckStatus;
  /** The measured (or estimated so far) value, formatted in the expectation's unit; null when none. */
  readonly value: string | null;
  /** The engine's explanation once settled; what the estimate rests on before. */
  readonly note: string;
}

export function checkView(state: RunViewState, item: CheckItem): CheckView {
  const e = item.expectation;
  const v = item.verdict;
  if (v) {
    const status: CheckStatus = v.status === 'held' ? 'held' : v.status === 'failed' ? 'broken' : v.status === 'inconclusive' ? 'inconclusive' : 'no-data';
    const unit = 'unit' in e ? e.unit : 'count';
    const value = Number.isFinite(v.measured) && e.kind !== 'ejected' && e.kind !== 'state' ? formatValue(v.measured, unit) : null;
    // Why it could not be judged comes first: the measurement alone does not stand.
    const note = v.inconclusive ? `${v.inconclusive.reasons.join('; ')} (measured alone: ${v.inconclusive.wouldBe})` : v.explanation;
    return { text: e.text, status, value, note };
  }
  if (state.phase === 'deciding' || state.phase === 'done') {
    const live = estimate(state, e);
    return { ...live, status: 'pending', note: 'deciding…' };
  }
  return estimate(state, e);
}

function estimate(state: RunViewState, e: AnyExpectation): CheckView {
  const pending = (note: string): CheckView => ({ text: e.text, status: 'pending', value: null, note });
  if (state.t0 === null) return pending('waiting for the load');
  const now = nowMs(state);
  switch (e.kind) {
    case undefined:
    case 'metric': {
      const w = windowMs(state, e.window);
      if (!w) return pending('its fault has not started');
      if (now < w.fromMs) return pending(`window opens at ${formatDuration(w.fromMs)}`);
      const m = measure(state, e, w);
      if (m === null) return pending('nothing measured yet');
      const ok = compare(m, e.op, e.value);
      const approx = e.metric === 'p99' ? ' (worst second so far)' : ' so far';
      return { text: e.text, status: ok ? 'holding' : 'at-risk', value: formatValue(m, e.unit), note: `${formatValue(m, e.unit)}${approx}; needs ${e.op} ${formatValue(e.value, e.unit)}` };
    }
    case 'ejected': {
      const from = anchorMs(state, e.after);
      if (from === null || now < from) return pending('waiting for its moment');
      const inst = state.instances[e.instance];
      const ejection = inst?.history.find((h) => h.status === 'ejected' && runOf(state, h.at) >= from - 1000);
      if (ejection) {
        const after = runOf(state, ejection.at) - from;
        return { text: e.text, status: after <= e.withinMs ? 'holding' : 'at-risk', value: formatLatency(after), note: `ejected ${formatLatency(after)} after; needs within ${formatDuration(e.withinMs)}` };
      }
      if (now > from + e.withinMs) return { text: e.text, status: 'at-risk', value: null, note: `not ejected within ${formatDuration(e.withinMs)}` };
      return pending('not ejected yet');
    }
    case 'state': {
      const at = anchorMs(state, e.at);
      if (at === null || now < at) return pending('waiting for its moment');
      const inst = state.instances[e.instance];
      if (!inst) return pending('unknown instance');
      const then = [...inst.history].reverse().find((h) => runOf(state, h.at) <= at)?.status ?? inst.status;
      const ok = e.op === '==' ? then === e.state : then !== e.state;
      return { text: e.text, status: ok ? 'holding' : 'at-risk', value: then, note: `${e.instance} was ${then} then` };
    }
    case 'recovered': {
      const from = anchorMs(state, e.after);
      if (from === null || now < from) return pending('waiting for its moment');
      return pending(`watching for ${formatDuration(e.withinMs)}`);
    }
  }
  return pending('');
}

function runOf(state: RunViewState, at: number): number {
  return state.t0 === null ? 0 : at - state.t0;
}

function anchorMs(state: RunViewState, a: Anchor): number | null {
  if (a.kind === 'time') return a.ms;
  const f = state.faults.find((x) => x.name === a.fault);
  if (!f) return null;
  const w = faultWindow(state, f);
  const edge = a.edge === 'start' ? w.startMs : w.endMs;
  return edge === null ? null : edge + a.offsetMs;
}

/** A window in run ms as it stands now; null when it depends on a fault that is unknown. */
function windowMs(state: RunViewState, w: Window): { fromMs: number; toMs: number } | null {
  const end = state.scenario.loadDurationMs;
  switch (w.kind) {
    case 'run':
      return { fromMs: 0, toMs: end };
    case 'between':
      return { fromMs: w.fromMs, toMs: w.toMs };
    case 'during': {
      const f = state.faults.find((x) => x.name === w.fault);
      if (!f) return null;
      const fw = faultWindow(state, f);
      return { fromMs: fw.startMs + w.fromOffsetMs, toMs: fw.endMs ?? end };
    }
    case 'before': {
      const f = state.faults.find((x) => x.name === w.fault);
      return f ? { fromMs: 0, toMs: faultWindow(state, f).startMs } : null;
    }
    case 'after': {
      const f = state.faults.find((x) => x.name === w.fault);
      if (!f) return null;
      const fw = faultWindow(state, f);
      const edge = w.edge === 'start' ? fw.startMs : fw.endMs;
      return edge === null ? null : { fromMs: edge + w.offsetMs, toMs: end };
    }
  }
  return null;
}

/** The metric over the whole seconds of the window measured so far; null when none. */
function measure(state: RunViewState, e: Expectation, w: { fromMs: number; toMs: number }): number | null {
  const keys = metricSeriesKeys(e.metric, e.scope, state.scenario.source);
  const isClient = keys.length === 1 && keys[0] === seriesKey.client();
  const last = isClient ? state.clientSecond : state.liveSecond;
  const first = Math.max(0, Math.floor(w.fromMs / 1000));
  const end = Math.min(last + 1, Math.ceil(w.toMs / 1000));
  const secs: Figures[] = [];
  for (let s = first; s < end; s++) {
    const f = merge(keys.map((k) => seriesAt(state, k, s)));
    if (f) secs.push(f);
  }
  if (secs.length === 0) return null;
  const requests = secs.reduce((a, f) => a + f.rps, 0);
  const errors = secs.reduce((a, f) => a + f.rps * f.errorRate, 0);
  const flag = (name: string) => secs.reduce((a, f) => a + (f.flags[name] ?? 0), 0);
  switch (e.metric) {
    case 'success_rate':
      return requests > 0 ? 1 - errors / requests : null;
    case 'error_rate':
      return requests > 0 ? errors / requests : null;
    case 'rps':
      return requests / secs.length;
    case 'requests':
      return requests;
    case 'retries':
      return secs.reduce((a, f) => a + f.retries, 0);
    case 'retry_ratio':
      return requests > 0 ? secs.reduce((a, f) => a + f.retries, 0) / requests : null;
    case 'p99': {
      const p = secs.filter((f) => f.rps > 0 && Number.isFinite(f.p99)).map((f) => f.p99);
      return p.length ? Math.max(...p) : null;
    }
    case 'overflow':
      return flag('UO');
    case 'rate_limited':
      return flag('RL');
    case 'deadline_exceeded':
      return flag('DE');
    case 'wasted':
    case 'saved':
      return requests;
    case 'no_route':
      return flag('NR');
    case 'share': {
      if (e.scope.kind !== 'version') return null;
      const serviceKeys = seriesKeysFor({ kind: 'service', service: e.scope.service }, state.scenario.source);
      let all = 0;
      for (let s = first; s < end; s++) all += merge(serviceKeys.map((k) => seriesAt(state, k, s)))?.rps ?? 0;
      return all > 0 ? requests / all : null;
    }
    default:
      // p50, p90, max: not in the live figures; the verdict will tell.
      return null;
  }
}

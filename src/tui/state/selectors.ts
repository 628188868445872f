import type { LiveFigures } from '../../events.ts';
import { seriesKey } from '../../contract/series.ts';
import { runMs, type EdgeView, type FaultView, type RunViewState, type ServiceView } from './run-view-state.ts';

/**
Derived figures the components show, read from the reducer's state: the latest second of each
service, instance and edge, histories for sparklines, the fault timeline as it stands. Pure.
*/

/** One second's figures as shown: `null` fields are not known (no live stats yet). */
export interface Figures {
  rps: number;
  /** Fraction failed (5xx or no response). */
  errorRate: number;
  /** ms; NaN when nothing completed. */
  p99: number;
  retries: number;
  flags: Record<string, number>;
  /** Requests over mutual TLS, refused by authorization, and failed handshakes in the second. */
  mtls?: number;
  denied?: number;
  handshakeErrors?: number;
  /** Refused by a rate limit or quota (429 or RL). */
  limited?: number;
}

/** An edge as the caller saw it (effective, after retries) and as the tries went out (actual). */
export interface EdgeFigures extends Figures {
  /** Tries sent to the callee's instances in the second (effective requests + retries); null when unknown. */
  actualRps: number | null;
  /** Fraction of those tries that failed; null when unknown. */
  actualErrorRate: number | null;
}

const ZERO: Figures = { rps: 0, errorRate: 0, p99: NaN, retries: 0, flags: {} };

/** The figures of one series in one second; null when that second's live stats have not arrived. */
export function seriesAt(state: RunViewState, key: string, second: number): Figures | null {
  const known = key === seriesKey.client() ? state.clientSecond : state.liveSecond;
  if (second < 0 || second > known) return null;
  return state.series[key]?.[second] ?? ZERO;
}

/** Several series merged: requests and retries add up, the error rate is weighted, p99 is the worst. */
export function merge(parts: readonly (LiveFigures | Figures | null)[]): Figures | null {
  const known = parts.filter((p): p is Figures => p !== null);
  if (known.length === 0) return null;
  let rps = 0;
  let errors = 0;
  let retries = 0;
  let p99 = NaN;
  let mtls = 0;
  let denied = 0;
  let handshakeErrors = 0;
  const flags: Record<string, number> = {};
  let limited = 0;
  for (const p of known) {
    mtls += p.mtls ?? 0;
    denied += p.denied ?? 0;
    handshakeErrors += p.handshakeErrors ?? 0;
    limited += p.limited ?? 0;
    rps += p.rps;
    errors += p.rps * p.errorRate;
    retries += p.retries;
    if (p.rps > 0 && Number.isFinite(p.p99)) p99 = Number.isFinite(p99) ? Math.max(p99, p.p99) : p.p99;
    for (const [k, v] of Object.entries(p.flags)) flags[k] = (flags[k] ?? 0) + v;
  }
  return { rps, errorRate: rps > 0 ? errors / rps : 0, p99, retries, flags, mtls, denied, handshakeErrors, limited };
}

/**
An edge's budget refusals over the run so far: requests a rate limit or quota refused (429 or RL),
and requests whose deadline ran out on the way (flag DE). Counted at the caller, after retries.
*/
export function edgeBudgets(state: RunViewState, edge: EdgeView): { limited: number; deadlineExceeded: number } {
  let limited = 0;
  let deadlineExceeded = 0;
  for (const f of state.series[edge.key] ?? []) {
    if (!f) continue;
    limited += f.limited ?? 0;
    deadlineExceeded += f.flags.DE ?? 0;
  }
  return { limited, deadlineExceeded };
}

export function clientFigures(state: RunViewState): Figures | null {
  return seriesAt(state, seriesKey.client(), state.clientSecond);
}

export function instanceFigures(state: RunViewState, instance: string): Figures | null {
  return seriesAt(state, seriesKey.instance(instance), state.liveSecond);
}

/** A service: its instances' inbound figures merged (an external's: the tries its callers sent it). */
export function serviceFigures(state: RunViewState, service: ServiceView): Figures | null {
  if (service.figureKeys) return merge(service.figureKeys.map((k) => seriesAt(state, k, state.liveSecond)));
  return merge(service.instances.map((i) => instanceFigures(state, i)));
}

export function edgeFigures(state: RunViewState, edge: EdgeView): EdgeFigures | null {
  const effective = seriesAt(state, edge.key, state.liveSecond);
  if (!effective) return null;
  const actual = merge(edge.upstreamKeys.map((k) => seriesAt(state, k, state.liveSecond)));
  const hasActual = actual !== null && edge.upstreamKeys.some((k) => state.series[k] !== undefined);
  return { ...effective, actualRps: hasActual ? actual.rps : null, actualErrorRate: hasActual ? actual.errorRate : null };
}

export type HistoryMetric = 'rps' | 'errorRate' | 'p99';

/** The last `n` seconds of one metric over some series merged (for a sparkline); unknown seconds are NaN. */
export function history(state: RunViewState, keys: readonly string[], metric: HistoryMetric, n: number): number[] {
  const last = keys.length === 1 && keys[0] === seriesKey.client() ? state.clientSecond : state.liveSecond;
  const out: number[] = [];
  for (let sec = Math.max(0, last - n + 1); sec <= last; sec++) {
    const f = merge(keys.map((k) => seriesAt(state, k, sec)));
    out.push(f ? (metric === 'p99' && f.rps === 0 ? NaN : f[metric]) : NaN);
  }
  return out;
}

/** Series keys of a service (its instances; an external's, its callers' tries to it). */
export function serviceKeys(service: ServiceView): string[] {
  return service.figureKeys ? [...service.figureKeys] : service.instances.map(seriesKey.instance);
}

/** A fault's window in run time as it stands: the actual start and end once known, the schedule until then. */
export function faultWindow(state: RunViewState, f: FaultView): { startMs: number; endMs: number | null } {
  const startMs = f.startedAt !== null ? runMs(state, f.startedAt) : f.atMs;
  const endMs = f.endedAt !== null ? runMs(state, f.endedAt) : f.forMs !== null ? startMs + f.forMs : null;
  return { startMs, endMs };
}

/** Run time now: ms from the start of the load, 0 before it, at most the load's duration. */
export function nowMs(state: RunViewState): number {
  if (state.t0 === null || state.now === null) return 0;
  return Math.max(0, Math.min(state.scenario.loadDurationMs, state.now - state.t0));
}

/** Faults active now, and the next one to start (the earliest scheduled that has not started). */
export function faultTimeline(state: RunViewState): { active: FaultView[]; next: FaultView | null; ended: FaultView[] } {
  const active = state.faults.filter((f) => f.status === 'active');
  const ended = state.faults.filter((f) => f.status === 'ended');
  const pending = state.faults.filter((f) => f.status === 'scheduled').sort((a, b) => a.atMs - b.atMs);
  return { active, next: state.phase === 'done' || state.phase === 'deciding' ? null : pending[0] ?? null, ended };
}

/** Every selectable row of the topology, in screen order: each service, then its instances. */
export function selectables(state: RunViewState): Selectable[] {
  const out: Selectable[] = [];
  for (const s of state.services) {
    out.push({ kind: 'service', name: s.name });
    for (const i of s.instances) out.push({ kind: 'instance', name: i, service: s.name });
  }
  return out;
}

export type Selectable = { kind: 'service'; name: string } | { kind: 'instance'; name: string; service: string };

export function selectableId(s: Selectable): string {
  return `${s.kind}:${s.name}`;
}

/** Log lines about an instance or service (for its details), newest last. */
export function logAbout(state: RunViewState, subject: string) {
  return state.log.filter((l) => l.subjects.includes(subject));
}

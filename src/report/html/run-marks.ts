import type { Describer } from '../../contract/describe-mesh-event.ts';
import { upstreamChange } from '../../contract/upstream-change.ts';
import { instanceNames } from '../../scenario/scenario.ts';
import type { RunResult } from '../run-result.ts';

/** A fault drawn as a band over every chart: from when it took effect to when it ended. */
export interface FaultBand {
  name: string;
  /** ms from the start of the load. */
  fromMs: number;
  toMs: number;
  /** false: it never took effect; the band is where it was planned, drawn hollow. */
  applied: boolean;
  /** What it did, for the band's tooltip. */
  detail: string;
  /** Index into the band palette, stable per fault. */
  colour: number;
}

/** A change of an instance's state drawn as a mark: an ejection and its end, a health check's verdict, a kill, a pause. */
export interface StateMark {
  atMs: number;
  /** The instance it is about. */
  instance: string;
  /** Its service ('' when the instance is not in the scenario). */
  service: string;
  kind: 'ejected' | 'returned' | 'unhealthy' | 'healthy' | 'killed' | 'paused' | 'restarted';
  /** Who saw it (the caller's sidecar) or what did it (the harness), and why. */
  text: string;
}

/** The faults of the run as bands, in schedule order. */
export function faultBands(result: RunResult): FaultBand[] {
  const runMs = result.timeline.seconds * 1000;
  const planned = result.scenario.faults ?? [];
  const bands: FaultBand[] = [];
  planned.forEach((f, i) => {
    const r = (result.faults ?? []).find((x) => x.name === f.name);
    const applied = r?.startedMs !== null && r?.startedMs !== undefined;
    const fromMs = applied ? r!.startedMs! : f.atMs;
    const plannedEnd = f.forMs !== null && f.forMs !== undefined ? f.atMs + f.forMs : runMs;
    const toMs = applied ? (r!.endedMs ?? runMs) : plannedEnd;
    bands.push({ name: f.name, fromMs: clamp(fromMs, 0, runMs), toMs: clamp(Math.max(fromMs, toMs), 0, runMs), applied, detail: r?.detail || (applied ? '' : 'never took effect'), colour: i });
  });
  return bands;
}

/**
Every instance state change of the run, by time: the harness's own (kill, pause, restart) and what
callers' sidecars saw (ejections, their end, health checks). A change several callers saw at once
is one mark per caller, so the text says who.
*/
export function stateMarks(result: RunResult, describe: Describer): StateMark[] {
  const serviceOf = new Map<string, string>();
  for (const s of result.scenario.services) for (const i of instanceNames(s)) serviceOf.set(i, s.name);
  const t0 = result.timeline.t0;
  const marks: StateMark[] = [];
  for (const e of result.events ?? []) {
    const change = upstreamChange(e, serviceOf);
    if (!change) continue;
    marks.push({ atMs: e.at - t0, instance: change.instance, service: serviceOf.get(change.instance) ?? '', kind: change.kind, text: `${describe(e)} (seen by ${e.instance})` });
  }
  for (const s of result.states ?? []) {
    const kind: StateMark['kind'] = s.state === 'killed' ? 'killed' : s.state === 'paused' ? 'paused' : s.state === 'healthy' ? 'restarted' : s.state === 'ejected' ? 'ejected' : 'unhealthy';
    marks.push({ atMs: s.atMs, instance: s.instance, service: serviceOf.get(s.instance) ?? '', kind, text: `${s.instance} ${s.state}: ${s.reason}` });
  }
  return marks.sort((a, b) => a.atMs - b.atMs);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/**
For a run that stopped early (interrupted, or broken mid-load): the second from which nothing was
measured, so charts say "stopped" there instead of drawing zeros. The load's last busy second + 1,
as the client saw it; null for a run that went to its end.
*/
export function stoppedAtSecond(result: RunResult): number | null {
  if (!result.error) return null;
  const client = result.timeline.series.client ?? [];
  let last = -1;
  client.forEach((b, i) => {
    if (b.requests > 0) last = i;
  });
  const at = last + 1;
  return at < result.timeline.seconds ? at : null;
}

import { Box } from 'ink';
import type { ReactElement } from 'react';
import { formatDuration } from '../../util/format.ts';
import { bar, cells, seconds } from '../format.ts';
import type { FaultView, RunViewState } from '../state/run-view-state.ts';
import { faultTimeline, faultWindow, nowMs } from '../state/selectors.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs, rightSegs } from './segs.ts';
import { FAULT_BADGE } from './vocabulary.ts';

export interface FaultTimelineProps {
  readonly state: RunViewState;
  readonly width: number;
  /** Rows it may use: one gives a summary line; one per fault plus a title gives the timeline. */
  readonly height: number;
  readonly color: boolean;
}

/** Rows wanted for the full timeline (title + one per fault); 0 when the scenario has no faults. */
export function faultTimelineWants(state: RunViewState): number {
  return state.faults.length ? state.faults.length + 1 : 0;
}

/**
The fault schedule against the load's time: what is active now (with how long it has run, and a
progress bar of its window), what comes next and when. With room, one row per fault on a shared time
axis: `─` past, `·` to come, `█` the fault's window so far, `░` the rest of it.
*/
export function FaultTimeline(props: FaultTimelineProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(faultTimelineRows(props), props.color));
}

export function faultTimelineRows(props: FaultTimelineProps): Seg[][] {
  const { state, width, height } = props;
  if (height <= 0 || state.faults.length === 0) return [];
  if (height < faultTimelineWants(state)) return [fitSegs(summary(state), width)];
  const now = nowMs(state);
  const title: Seg[] = [{ text: 'FAULTS', tone: 'accent', bold: true }, { text: `  now ${seconds(now)}`, tone: 'dim' }, ...nextSegs(state)];
  const nameW = Math.min(16, Math.max(...state.faults.map((f) => cells(f.name))) + 2);
  const statusW = 20;
  const whatW = width >= 100 ? Math.min(40, Math.floor(width * 0.3)) : 0;
  const barW = Math.max(8, width - nameW - statusW - whatW - 2);
  const rows = state.faults.map((f) => {
    const b = FAULT_BADGE[f.status];
    const left: Seg[] = [{ text: `${b.mark} `, tone: b.tone }, { text: f.name, tone: f.status === 'active' ? 'fault' : undefined, bold: f.status === 'active' }];
    const what: Seg[] = whatW ? [{ text: ' ' }, ...fitSegs([{ text: `${f.target}: ${f.action}`, tone: 'dim' }], whatW - 1)] : [];
    const row: Seg[] = [...fitSegs(left, nameW), ...what, { text: ' ' }, { text: track(state, f, barW), tone: f.status === 'active' ? 'fault' : 'dim' }, { text: ' ' }, ...rightSegs(statusSegs(state, f), statusW)];
    return row;
  });
  return [fitSegs(title, width), ...rows.map((r) => fitSegs(r, width))];
}

/** One line: the active faults with their progress, then the next. */
function summary(state: RunViewState): Seg[] {
  const { active, next, ended } = faultTimeline(state);
  const out: Seg[] = [{ text: 'FAULTS ', tone: 'accent', bold: true }];
  for (const f of active) {
    const w = faultWindow(state, f);
    const ran = Math.max(0, nowMs(state) - w.startMs);
    out.push({ text: `● ${f.name}`, tone: 'fault', bold: true }, { text: ` ${f.target}`, tone: 'dim' }, { text: ` ${seconds(ran)}${f.forMs !== null ? `/${formatDuration(f.forMs)}` : ''} ` });
    if (f.forMs) out.push({ text: bar(ran / f.forMs, 8), tone: 'fault' });
    out.push({ text: '  ' });
  }
  if (active.length === 0) out.push({ text: ended.length ? 'none active' : 'none yet', tone: 'dim' }, { text: '  ' });
  out.push(...nextSegs(state));
  if (ended.length) out.push({ text: `  ${ended.length} ended`, tone: 'dim' });
  return out;
}

function nextSegs(state: RunViewState): Seg[] {
  const { next } = faultTimeline(state);
  if (!next) return [];
  const inMs = next.atMs - nowMs(state);
  return [{ text: '  next ', tone: 'dim' }, { text: next.name, bold: true }, { text: ` ${next.target}`, tone: 'dim' }, { text: state.t0 === null ? ` at ${formatDuration(next.atMs)}` : ` in ${seconds(Math.max(0, inMs))}` }];
}

function statusSegs(state: RunViewState, f: FaultView): Seg[] {
  const w = faultWindow(state, f);
  switch (f.status) {
    case 'scheduled':
      if (state.t0 === null) return [{ text: `at ${formatDuration(f.atMs)}`, tone: 'dim' }];
      if (state.phase !== 'load') return [{ text: `at ${formatDuration(f.atMs)} (not applied)`, tone: 'dim' }];
      return [{ text: `at ${formatDuration(f.atMs)}`, tone: 'dim' }, { text: f.atMs > nowMs(state) ? ` (in ${seconds(f.atMs - nowMs(state))})` : ' (due)', tone: 'dim' }];
    case 'active': {
      const ran = Math.max(0, nowMs(state) - w.startMs);
      return [{ text: 'active ', tone: 'fault', bold: true }, { text: `${seconds(ran)}${f.forMs !== null ? `/${formatDuration(f.forMs)}` : ''}` }];
    }
    case 'ended':
      return [{ text: `ended at ${seconds(w.endMs ?? nowMs(state))}`, tone: 'dim' }];
  }
}

/** The fault's window on the load's time axis, `width` cells wide. */
function track(state: RunViewState, f: FaultView, width: number): string {
  const total = Math.max(1, state.scenario.loadDurationMs);
  const w = faultWindow(state, f);
  const now = state.t0 === null ? -1 : nowMs(state);
  let out = '';
  for (let i = 0; i < width; i++) {
    const t = ((i + 0.5) / width) * total;
    const inside = t >= w.startMs && (w.endMs === null ? f.status !== 'ended' : t < w.endMs);
    const past = t <= now;
    out += inside ? (past && f.status !== 'scheduled' ? '█' : '░') : past ? '─' : '·';
  }
  return out;
}

import { Box } from 'ink';
import type { ReactElement } from 'react';
import { bar, cells, clip, seconds, shortLatency, shortPercent, shortRps, sparkline } from '../format.ts';
import { progress, type RunViewState } from '../state/run-view-state.ts';
import { clientFigures, history } from '../state/selectors.ts';
import { h } from './h.ts';
import { Line, type Seg } from './line.ts';
import { fitSegs, segWidth } from './segs.ts';
import { errorTone, PHASE_BADGE } from './vocabulary.ts';

export interface HeaderProps {
  readonly state: RunViewState;
  readonly width: number;
  /** `q` was pressed: the run is being stopped and cleaned up. */
  readonly quitting: boolean;
  readonly color: boolean;
}

/**
Two rows: the run (scenario, phase, progress of the load, the keys), then what the load client sees
this second (rps, success, p99, with an rps sparkline and the totals so far).
*/
export function Header(props: HeaderProps): ReactElement {
  return h(
    Box,
    { flexDirection: 'column', width: props.width },
    h(Line, { segs: titleRow(props), color: props.color }),
    h(Line, { segs: clientRow(props.state, props.width), color: props.color }),
  );
}

export function titleRow(props: HeaderProps): Seg[] {
  const { state, width, quitting } = props;
  const phase: Seg[] = [{ text: '  ' }, ...phaseSegs(state, quitting)];
  const p = progress(state);
  const time = `  ${seconds(p.elapsedMs)}/${seconds(p.durationMs)} `;
  const pct = ` ${Math.round(p.fraction * 100)}%`.padStart(5);
  const brand: Seg[] = [{ text: 'meshproof', tone: 'accent', bold: true }, { text: ' · ' }];
  const progressSegs = (barW: number): Seg[] => [{ text: time, tone: 'dim' }, { text: bar(p.fraction, barW), tone: state.phase === 'load' ? 'accent' : 'dim' }, { text: pct }];
  // Give way, in turn, until the progress bar has 10 cells: the product name, the long key hints,
  // then the scenario name's end. The phase is never cut.
  const variants: { brand: boolean; keys: string }[] = [
    { brand: true, keys: '  ? help  q quit' },
    { brand: false, keys: '  ? help  q quit' },
    { brand: false, keys: '  ? q' },
  ];
  const name = state.scenario.name;
  for (const v of variants) {
    const keys: Seg[] = [{ text: v.keys, tone: 'dim' }];
    const fixed = (v.brand ? segWidth(brand) : 0) + segWidth(phase) + segWidth(keys) + cells(time) + cells(pct);
    const room = width - fixed - cells(name);
    const last = v === variants[variants.length - 1];
    if (room < 10 && !last) continue;
    const barW = Math.max(10, Math.min(40, room));
    const nameW = width - fixed - barW;
    if (nameW < 4) return fitSegs([...phaseSegs(state, quitting), { text: time }, ...keys], width);
    return fitSegs([...(v.brand ? brand : []), { text: clip(name, nameW), bold: true }, ...phase, ...progressSegs(barW), ...keys], width);
  }
  return [];
}

/** The header's word once the run is over: an inconclusive run (exit 3) is not called failed. */
const OUTCOME_BADGE: Record<'passed' | 'failed' | 'inconclusive', Seg> = {
  passed: { text: '✔ passed', tone: 'ok', bold: true },
  failed: { text: '✘ failed', tone: 'bad', bold: true },
  inconclusive: { text: '? inconclusive', tone: 'warn', bold: true },
};

function phaseSegs(state: RunViewState, quitting: boolean): Seg[] {
  if (quitting && state.phase !== 'done') return [{ text: '■ stopping: cleaning up…', tone: 'warn', bold: true }];
  if (state.phase === 'done' && state.result) {
    return [OUTCOME_BADGE[state.result.outcome]];
  }
  const b = PHASE_BADGE[state.phase];
  return [{ text: `${b.mark} ${b.word}`, tone: b.tone, bold: state.phase === 'load' }];
}

export function clientRow(state: RunViewState, width: number): Seg[] {
  const f = clientFigures(state);
  const head: Seg[] = [{ text: 'client ', tone: 'dim' }];
  if (!f) {
    const what = state.phase === 'starting' ? 'bringing the topology up…' : state.phase === 'ready' ? 'topology up; load about to start' : 'waiting for the first second of load';
    const target = state.scenario.targetRate === null ? `closed loop, ${state.scenario.connections} in flight` : `target ${state.scenario.targetRate}/s`;
    return fitSegs([...head, { text: what, tone: 'dim' }, { text: `  ${target} → ${state.scenario.loadTarget}`, tone: 'dim' }], width);
  }
  const et = errorTone(f.errorRate);
  const figures: Seg[] = [
    { text: `${shortRps(f.rps)} rps`, bold: true },
    { text: '  ok ' },
    { text: `${shortPercent(1 - f.errorRate)}${et.mark}`, tone: et.tone },
    { text: '  p99 ' },
    { text: f.rps > 0 ? shortLatency(f.p99) : '–' },
  ];
  const totals: Seg[] = [{ text: `  ${state.totals.requests} req · ${Math.round(state.totals.errors)} failed`, tone: state.totals.errors > 0 ? 'warn' : 'dim' }];
  // The open loop's own promise, as room allows: requests it could not send on time are dropped
  // (always shown once there are any), and how late the last second's sends were.
  if (state.scenario.targetRate !== null) {
    const l = state.load;
    const extras: Seg[] = [{ text: ` · ${l.dropped} dropped`, tone: l.dropped > 0 ? 'warn' : 'dim' }];
    if (l.last) extras.push({ text: ` · late ≤${shortLatency(l.last.latenessMaxMs)}`, tone: 'dim' });
    for (const x of extras) {
      if (l.dropped > 0 && x === extras[0]) totals.push(x);
      else if (segWidth(head) + segWidth(figures) + segWidth(totals) + segWidth([x]) <= width) totals.push(x);
    }
  }
  const sparkW = Math.max(0, Math.min(24, width - segWidth(head) - segWidth(figures) - segWidth(totals) - 2));
  const spark: Seg[] = sparkW >= 6 ? [{ text: '  ' }, { text: sparkline(history(state, ['client'], 'rps', sparkW), sparkW), tone: 'accent' }] : [];
  return fitSegs([...head, ...figures, ...spark, ...totals], width);
}

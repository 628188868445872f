import { Box } from 'ink';
import type { ReactElement } from 'react';
import { seconds } from '../format.ts';
import { runMs, type LogLine, type RunViewState } from '../state/run-view-state.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs } from './segs.ts';

export interface EventLogProps {
  readonly state: RunViewState;
  /** The lines to show (default: the whole log); the newest that fit are shown, oldest at the top. */
  readonly log?: readonly LogLine[];
  readonly title?: string;
  readonly width: number;
  /** Rows it may use, title included. */
  readonly height: number;
  readonly color: boolean;
}

/**
What happened, in plain words with the cause, newest at the bottom: `4.2s payments-1 ejected: 5
consecutive 503s …  ‹checkout-0›`. The time is from the start of the load (negative while the
topology comes up); the sidecar that reported a line is named at its end, and the same line
reported again within 2s is counted (`×2`) rather than repeated.
*/
export function EventLog(props: EventLogProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(eventLogRows(props), props.color));
}

export function eventLogRows(props: EventLogProps): Seg[][] {
  const { state, width, height } = props;
  if (height <= 0) return [];
  const log = props.log ?? state.log;
  const title: Seg[] = [{ text: props.title ?? 'EVENTS', tone: 'accent', bold: true }, { text: log.length > height - 1 && height > 1 ? `  last ${height - 1} of ${log.length}` : '', tone: 'dim' }];
  const shown = height > 1 ? log.slice(-(height - 1)) : [];
  const rows = shown.map((l) => {
    const t = seconds(runMs(state, l.at)).padStart(7);
    const segs: Seg[] = [{ text: t, tone: 'dim' }, { text: ' ' }, { text: l.text, tone: l.tone === 'info' ? undefined : l.tone }];
    if (l.count > 1) segs.push({ text: ` ×${l.count}`, bold: true });
    if (l.by) segs.push({ text: `  ‹${l.by}›`, tone: 'dim' });
    return fitSegs(segs, width);
  });
  if (rows.length === 0 && height > 1) rows.push(fitSegs([{ text: '        nothing yet', tone: 'dim' }], width));
  return [fitSegs(title, width), ...rows];
}

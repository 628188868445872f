import { Box } from 'ink';
import type { ReactElement } from 'react';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs } from './segs.ts';
import { CHECK_BADGE, FAULT_BADGE, INSTANCE_BADGE } from './vocabulary.ts';

export interface HelpProps {
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
}

/** The keys, as k9s lists them: key, then what it does. Also what the live view's words and marks mean. */
export const KEYS: readonly (readonly [string, string])[] = [
  ['↑ ↓  k j', 'select a service or instance (shows its details)'],
  ['← →  h l', 'previous / next service'],
  ['enter  d', 'show / hide the details of the selection'],
  ['?', 'show / hide this help'],
  ['esc', 'close help or details'],
  ['q  ctrl-c', 'stop the run (everything it started is cleaned up)'],
];

/** The help overlay: keys, then a legend of the marks and words. Cut to `height` rows. */
export function Help(props: HelpProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(helpRows(props), props.color));
}

export function helpRows(props: HelpProps): Seg[][] {
  const { width, height } = props;
  const rows: Seg[][] = [[{ text: 'HELP', tone: 'accent', bold: true }, { text: '  press ? or esc to close', tone: 'dim' }]];
  for (const [k, what] of KEYS) rows.push([{ text: `  ${k.padEnd(11)}`, bold: true }, { text: what }]);
  rows.push([{ text: 'Instances ', tone: 'accent' }, ...legend(Object.values(INSTANCE_BADGE))]);
  rows.push([{ text: 'Checks    ', tone: 'accent' }, ...legend(Object.values(CHECK_BADGE))]);
  rows.push([{ text: 'Faults    ', tone: 'accent' }, ...legend(Object.values(FAULT_BADGE))]);
  rows.push([{ text: 'Figures   ', tone: 'accent' }, { text: 'last second: rps, error %, p99. ' }, { text: '!', tone: 'warn' }, { text: ' ≥0.1% errors, ' }, { text: '!!', tone: 'bad' }, { text: ' >10%' }]);
  rows.push([{ text: '          ' }, { text: '100 (+5 retry)', tone: 'warn' }, { text: ': 100 rps asked, 5 retries sent on top' }]);
  rows.push([{ text: '          ' }, { text: '0.0% (4.8%)' }, { text: ': the caller saw 0% fail; 4.8% of the tries did' }]);
  rows.push([{ text: 'Estimates ', tone: 'accent' }, { text: 'holding / at risk come from live figures; held / broken are verdicts' }]);
  return rows.slice(0, Math.max(0, height)).map((r) => fitSegs(r, width));
}

function legend(badges: readonly { mark: string; word: string; tone: Seg['tone'] }[]): Seg[] {
  const seen = new Set<string>();
  const out: Seg[] = [];
  for (const b of badges) {
    if (seen.has(b.word)) continue;
    seen.add(b.word);
    out.push({ text: `${b.mark} ${b.word}`, tone: b.tone }, { text: '  ' });
  }
  return out;
}

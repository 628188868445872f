import { Box } from 'ink';
import type { ReactElement } from 'react';
import type { CheckStatus, CheckView } from '../state/live-check.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs, rightSegs } from './segs.ts';
import { CHECK_BADGE } from './vocabulary.ts';

export interface ChecklistProps {
  /** The expectations in the scenario's order, as they stand (see `checkView`). */
  readonly items: readonly CheckView[];
  readonly width: number;
  /** Rows it may use, title included. */
  readonly height: number;
  readonly color: boolean;
}

/** Rows wanted: a title and one per expectation. */
export function checklistWants(items: readonly unknown[]): number {
  return 1 + Math.max(1, items.length);
}

/**
The scenario's expectations as a checklist that settles: pending → holding / at risk (estimated from
the live figures) → held / broken (the engine's verdict), each with its measured value. On a wide
screen the explanation follows. When they do not all fit, the last row counts the rest by status.
*/
export function Checklist(props: ChecklistProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(checklistRows(props), props.color));
}

export function checklistRows(props: ChecklistProps): Seg[][] {
  const { items, width, height } = props;
  if (height <= 0) return [];
  const title: Seg[] = [{ text: 'EXPECTATIONS', tone: 'accent', bold: true }, { text: `  ${tally(items)}`, tone: 'dim' }];
  if (items.length === 0) return [fitSegs(title, width), ...(height > 1 ? [fitSegs([{ text: '  none: this scenario only runs', tone: 'dim' }], width)] : [])];
  const labelW = items.some((it) => it.status === 'inconclusive') ? 14 : 10;
  const valueW = 10;
  const noteW = width >= 110 ? Math.floor(width * 0.4) : 0;
  const textW = Math.max(10, width - labelW - valueW - 1 - noteW);
  const rows = items.map((it): Seg[] => {
    const b = CHECK_BADGE[it.status];
    const settled = it.status === 'held' || it.status === 'broken' || it.status === 'no-data' || it.status === 'inconclusive';
    return fitSegs(
      [
        ...fitSegs([{ text: `${b.mark} ${b.word}`, tone: b.tone, bold: settled }], labelW),
        ...fitSegs([{ text: it.text }], textW),
        { text: ' ' },
        ...rightSegs([{ text: it.value ?? '', tone: settled ? b.tone : 'dim' }], valueW),
        ...(noteW ? [{ text: '  ' }, { text: it.note, tone: 'dim' as const }] : []),
      ],
      width,
    );
  });
  const room = height - 1;
  if (rows.length <= room) return [fitSegs(title, width), ...rows];
  const shown = Math.max(0, room - 1);
  const rest = items.slice(shown);
  return [fitSegs(title, width), ...rows.slice(0, shown), fitSegs([{ text: `  … ${rest.length} more: ${tally(rest)}`, tone: 'dim' }], width)];
}

const ORDER: readonly CheckStatus[] = ['held', 'broken', 'no-data', 'inconclusive', 'at-risk', 'holding', 'pending'];

function tally(items: readonly CheckView[]): string {
  const n = new Map<CheckStatus, number>();
  for (const it of items) n.set(it.status, (n.get(it.status) ?? 0) + 1);
  return ORDER.filter((s) => n.get(s)).map((s) => `${n.get(s)} ${CHECK_BADGE[s].word}`).join(' · ');
}

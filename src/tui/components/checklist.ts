import { Box } from 'ink';
import type { ReactElement } from 'react';
import type { CheckStatus, CheckView } from '../state/live-check.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs, rightSegs } from './segs.ts';
import { CHECK_BADGE } from './vocabulary.ts';
import type { HealthRow } from '../../contract/describe-run-health.ts';

export interface ChecklistProps {
  /** The expectations in the scenario's order, as they stand (see `checkView`). */
  readonly items: readonly CheckView[];
  readonly width: number;
  /** Rows it may use, title included. */
  readonly height: number;
  readonly color: boolean;
  /** The harness's promises as the run kept them, once the load is over (null before): shown under the expectations. */
  readonly health?: readonly HealthRow[] | null;
}

/** Rows wanted: a title and one per expectation; once known, a title and one per promise of the harness. */
export function checklistWants(items: readonly unknown[], health: readonly HealthRow[] | null = null): number {
  return 1 + Math.max(1, items.length) + (health && health.length ? 1 + health.length : 0);
}

/** The harness-health rows: each promise, kept or broken, with its figures (the reports' section, in short). */
function healthRowsOf(health: readonly HealthRow[], width: number): Seg[][] {
  const broken = health.filter((r) => !r.kept).length;
  const title: Seg[] = [{ text: 'HARNESS HEALTH', tone: 'accent', bold: true }, { text: broken ? `  ${broken} promise${broken === 1 ? '' : 's'} broken: what depends on them is inconclusive` : '  every promise kept', tone: 'dim' }];
  return [
    fitSegs(title, width),
    ...health.map((r) => fitSegs([{ text: r.kept ? '✔ ' : '? ', tone: r.kept ? 'ok' : 'warn', bold: !r.kept }, { text: `${r.what}: ` }, { text: r.figure, tone: r.kept ? 'dim' : 'warn' }, { text: `  (${r.limit})`, tone: 'dim' }], width)),
  ];
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
  const labelW = items.some((it) => it.status === 'inconclusive') ? 15 : 10;
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
  const health = props.health && props.health.length ? healthRowsOf(props.health, width) : [];
  // The promises come after the expectations, when there is room for all of both.
  if (health.length && rows.length + health.length <= height - 1) return [fitSegs(title, width), ...rows, ...health];
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

/**
The screen's row budget: which panes show and how many rows each gets, for a terminal of
`columns` × `rows`. Pure, so "fits 80×24" is a property of numbers that a test can check.

- Two rows of header always (the run, the client).
- Narrow (< 120 columns): one column. Topology, faults, expectations, events, in that order; or,
  with details open, topology, faults and the details; or the help.
- Wide (≥ 120 columns): topology, faults and the details of the selection on the left; the
  expectations and the events on the right; the help replaces the right column.

Each pane gets at least its minimum; rows left over go to the topology (up to one row per instance),
the expectations, the full fault timeline, and the rest to the event log (or the details).
*/
export type PaneKind = 'topology' | 'faults' | 'checklist' | 'events' | 'details' | 'help';

export interface Pane {
  readonly kind: PaneKind;
  readonly height: number;
}

export interface Column {
  readonly width: number;
  readonly panes: readonly Pane[];
}

export interface Layout {
  readonly columns: number;
  readonly rows: number;
  /** Rows of header (title + client). */
  readonly header: number;
  readonly body: readonly Column[];
  /** Set when the terminal is too small for anything but the header and this message. */
  readonly tooSmall: string | null;
}

export interface LayoutInput {
  readonly columns: number;
  readonly rows: number;
  /** Rows the topology wants with instances as badges, and with a row per instance (header included). */
  readonly topology: { readonly compact: number; readonly expanded: number };
  /** Rows the full fault timeline wants (0: no faults). */
  readonly faults: number;
  /** Rows the checklist wants (title included). */
  readonly checklist: number;
  readonly detailsOpen: boolean;
  readonly helpOpen: boolean;
}

/** At or above this width, two columns. */
export const WIDE_COLUMNS = 120;
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

export function computeLayout(input: LayoutInput): Layout {
  const { columns, rows } = input;
  const header = 2;
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return { columns, rows, header: Math.min(header, Math.max(0, rows - 1)), body: [], tooSmall: `${columns}×${rows} is too small: the live view needs at least ${MIN_COLUMNS}×${MIN_ROWS}` };
  }
  const b = rows - header;
  if (columns >= WIDE_COLUMNS) return { columns, rows, header, body: wide(input, b), tooSmall: null };
  if (input.helpOpen) return { columns, rows, header, body: [{ width: columns, panes: [{ kind: 'help', height: b }] }], tooSmall: null };
  return { columns, rows, header, body: [{ width: columns, panes: narrow(input, b) }], tooSmall: null };
}

function narrow(input: LayoutInput, b: number): Pane[] {
  const t = input.topology;
  const faultsMin = input.faults > 0 ? 1 : 0;
  if (input.detailsOpen) {
    // The topology stays (the selection is seen moving), the rest is the details.
    let topology = Math.min(t.compact, Math.max(3, Math.floor(b * 0.45)));
    const details = Math.max(3, b - topology - faultsMin);
    topology = b - faultsMin - details;
    return panes([
      ['topology', topology],
      ['faults', faultsMin],
      ['details', details],
    ]);
  }
  const mins = {
    topology: Math.min(t.compact, Math.max(4, Math.floor(b * 0.4))),
    faults: faultsMin,
    checklist: Math.min(input.checklist, 3),
    events: Math.max(3, Math.floor(b * 0.25)),
  };
  // Too little room for every minimum: the event log, then the checklist, then the topology give way.
  let over = mins.topology + mins.faults + mins.checklist + mins.events - b;
  for (const k of ['events', 'checklist', 'topology'] as const) {
    if (over <= 0) break;
    const floor = k === 'events' ? 2 : 2;
    const give = Math.max(0, Math.min(over, mins[k] - floor));
    mins[k] -= give;
    over -= give;
  }
  let extra = b - (mins.topology + mins.faults + mins.checklist + mins.events);
  const grow = (have: number, want: number) => {
    const g = Math.max(0, Math.min(extra, want - have));
    extra -= g;
    return have + g;
  };
  mins.topology = grow(mins.topology, t.compact);
  mins.checklist = grow(mins.checklist, input.checklist);
  if (input.faults > 1 && extra >= input.faults - mins.faults) mins.faults = grow(mins.faults, input.faults);
  if (extra >= t.expanded - mins.topology) mins.topology = grow(mins.topology, t.expanded);
  mins.events += Math.max(0, extra);
  return panes([
    ['topology', mins.topology],
    ['faults', mins.faults],
    ['checklist', mins.checklist],
    ['events', mins.events],
  ]);
}

function wide(input: LayoutInput, b: number): Column[] {
  const leftW = Math.floor(input.columns * 0.55);
  const rightW = input.columns - leftW - 1;
  const t = input.topology;
  // Left: the topology (expanded when it leaves the details 6 rows), the faults, the details.
  let faults = input.faults > 0 ? 1 : 0;
  let topology = Math.min(t.compact, Math.max(4, b - faults - 3));
  let left = b - topology - faults;
  if (input.faults > 1 && left - (input.faults - faults) >= 6) {
    left -= input.faults - faults;
    faults = input.faults;
  }
  if (left - (t.expanded - topology) >= 6) {
    left -= t.expanded - topology;
    topology = t.expanded;
  }
  const leftCol: Column = { width: leftW, panes: panes([['topology', topology], ['faults', faults], ['details', left]]) };
  if (input.helpOpen) return [leftCol, { width: rightW, panes: [{ kind: 'help', height: b }] }];
  const checklist = Math.min(input.checklist, Math.max(3, Math.floor(b * 0.5)));
  return [leftCol, { width: rightW, panes: panes([['checklist', checklist], ['events', b - checklist]]) }];
}

function panes(list: [PaneKind, number][]): Pane[] {
  return list.filter(([, h]) => h > 0).map(([kind, height]) => ({ kind, height }));
}

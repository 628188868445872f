import { Box, Text, useInput, useStdin } from 'ink';
import { useState, type ReactElement } from 'react';
import { Checklist, checklistWants } from './components/checklist.ts';
import { Details } from './components/details.ts';
import { EventLog } from './components/event-log.ts';
import { FaultTimeline, faultTimelineWants } from './components/fault-timeline.ts';
import { h } from './components/h.ts';
import { Header } from './components/header.ts';
import { Help } from './components/help.ts';
import { Topology, topologyWants } from './components/topology.ts';
import { computeLayout, WIDE_COLUMNS, type Pane } from './layout.ts';
import { checkView } from './state/live-check.ts';
import type { RunViewState } from './state/run-view-state.ts';
import { selectableId, selectables } from './state/selectors.ts';

export interface LiveAppProps {
  readonly state: RunViewState;
  /** Terminal size; the app fills it. */
  readonly columns: number;
  readonly rows: number;
  /** Colours on; false under NO_COLOR (marks and words still say everything). */
  readonly color: boolean;
  /** `q` or Ctrl-C: asked once; the run is then stopped and cleaned up by whoever started it. */
  readonly onQuit: () => void;
}

/**
The whole screen: the header, then the panes the layout gives room to. Keeps only what the person
chose (selection, details, help, quitting); everything about the run comes in `state`.
*/
export function LiveApp(props: LiveAppProps): ReactElement {
  const { state, columns, rows, color } = props;
  const [selected, setSelected] = useState<string | null>(null);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [quitting, setQuitting] = useState(false);
  const { isRawModeSupported } = useStdin();

  const items = selectables(state);
  const ids = items.map(selectableId);
  const current = selected !== null && ids.includes(selected) ? selected : ids[0] ?? null;

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        if (!quitting) {
          setQuitting(true);
          props.onQuit();
        }
        return;
      }
      if (input === '?') return setHelpOpen((v) => !v);
      if (key.escape) {
        if (helpOpen) setHelpOpen(false);
        else setDetailsOpen(false);
        return;
      }
      if (key.return || input === 'd') return setDetailsOpen((v) => !v);
      // Keys can come faster than frames (a held arrow key): each move starts from the selection the
      // previous key left, not from the one this render saw, so no key press is lost.
      const step = (to: (at: number) => number | undefined) => {
        if (ids.length === 0) return;
        setSelected((prev) => {
          const from = prev !== null && ids.includes(prev) ? prev : ids[0];
          const i = to(ids.indexOf(from)) ?? 0;
          return ids[Math.max(0, Math.min(ids.length - 1, i))];
        });
        setDetailsOpen(true);
        setHelpOpen(false);
      };
      const services = items.map((it, i) => (it.kind === 'service' ? i : -1)).filter((i) => i >= 0);
      if (key.downArrow || input === 'j') return step((at) => at + 1);
      if (key.upArrow || input === 'k') return step((at) => at - 1);
      if (key.rightArrow || input === 'l') return step((at) => services.find((i) => i > at) ?? services[services.length - 1]);
      if (key.leftArrow || input === 'h') {
        // From an instance, back to its service; from a service, the previous one.
        return step((at) => {
          const it = items[at];
          return it?.kind === 'instance' ? ids.indexOf(`service:${it.service}`) : [...services].reverse().find((i) => i < at);
        });
      }
    },
    { isActive: isRawModeSupported === true },
  );

  const layout = computeLayout({
    columns,
    rows,
    topology: topologyWants(state),
    faults: faultTimelineWants(state),
    checklist: checklistWants(state.checklist, state.health),
    detailsOpen: detailsOpen || columns >= WIDE_COLUMNS,
    helpOpen,
  });
  const header = h(Header, { state, width: columns, quitting, color });
  if (layout.tooSmall) return h(Box, { flexDirection: 'column', width: columns, height: rows, overflow: 'hidden' }, header, h(Text, { wrap: 'wrap' }, layout.tooSmall));

  const checks = state.checklist.map((c) => checkView(state, c));
  const pane = (p: Pane, width: number, key: string): ReactElement => {
    const common = { key, width, height: p.height, color };
    switch (p.kind) {
      case 'topology':
        return h(Topology, { ...common, state, selected: current });
      case 'faults':
        return h(FaultTimeline, { ...common, state });
      case 'checklist':
        return h(Checklist, { ...common, items: checks, health: state.health });
      case 'events':
        return h(EventLog, { ...common, state });
      case 'details':
        return h(Details, { ...common, state, selected: current });
      case 'help':
        return h(Help, common);
    }
  };
  const body = layout.body.map((col, i) =>
    h(
      Box,
      { key: i, flexDirection: 'column', width: col.width, marginLeft: i > 0 ? 1 : 0 },
      ...col.panes.map((p, j) => pane(p, col.width, `${i}.${j}`)),
    ),
  );
  return h(Box, { flexDirection: 'column', width: columns }, header, h(Box, { flexDirection: 'row', width: columns }, ...body));
}

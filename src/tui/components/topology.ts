import { Box } from 'ink';
import type { ReactElement } from 'react';
import { cells, seconds, shortLatency, shortPercent, shortRps, sparkline } from '../format.ts';
import { runMs, type InstanceView, type RunViewState, type ServiceView } from '../state/run-view-state.ts';
import { edgeBudgets, edgeFigures, history, instanceFigures, serviceFigures, serviceKeys, type EdgeFigures, type Figures } from '../state/selectors.ts';
import { h } from './h.ts';
import { lines, type Seg } from './line.ts';
import { fitSegs, rightSegs, segWidth } from './segs.ts';
import { errorTone, INSTANCE_BADGE } from './vocabulary.ts';

export interface TopologyProps {
  readonly state: RunViewState;
  readonly width: number;
  /** Rows it may use; it uses fewer when the topology is small. */
  readonly height: number;
  /** Selected row id (`service:<name>` or `instance:<name>`), or null. */
  readonly selected: string | null;
  readonly color: boolean;
}

/**
The mesh as a table: the client's edge, then each service with its instances' state badges, followed
by the edges it calls. Each row shows the last second's requests per second, error % and p99.
Edges show effective vs actual where the tries are known: `100 (+5 retry)` and `0.0% (4.8%)` (the
caller saw 0% errors, 4.8% of the tries sent failed: retries hid them).

With room, every instance gets its own row with its figures (expanded); otherwise instances are
badges on their service's row. Rows never reorder.
*/
export function Topology(props: TopologyProps): ReactElement {
  return h(Box, { flexDirection: 'column', width: props.width }, ...lines(topologyRows(props), props.color));
}

interface Columns {
  name: number;
  rps: number;
  err: number;
  p99: number;
  spark: number;
  /** Effective vs actual shown. */
  detail: boolean;
}

/** What the badges mean, shown in the header when instances are badges and it fits. */
const LEGEND = '  ✔ healthy ⊘ ejected ‖ paused ✘ killed';

function columns(width: number): Columns {
  if (width >= 110) return { rps: 18, err: 17, p99: 8, spark: 14, detail: true, name: width - 18 - 17 - 8 - 14 - 1 };
  if (width >= 72) return { rps: 16, err: 16, p99: 8, spark: 0, detail: true, name: width - 16 - 16 - 8 };
  return { rps: 6, err: 8, p99: 8, spark: 0, detail: false, name: width - 6 - 8 - 8 };
}

/** Rows needed: compact (instances as badges) and expanded (a row per instance), header included. */
export function topologyWants(state: RunViewState): { compact: number; expanded: number } {
  const base = 1 + state.edges.length + state.services.length;
  const instances = state.services.reduce((a, s) => a + s.instances.length, 0);
  return { compact: base, expanded: base + instances };
}

export function topologyRows(props: TopologyProps): Seg[][] {
  const { state, width, height, selected } = props;
  if (height <= 0) return [];
  const c = columns(width);
  const wants = topologyWants(state);
  const expanded = height >= wants.expanded;
  const header: Seg[] = [
    ...fitSegs([{ text: 'TOPOLOGY', tone: 'accent', bold: true }, { text: !expanded && c.name >= 8 + cells(LEGEND) ? LEGEND : '', tone: 'dim' }], c.name),
    ...cell([{ text: c.detail ? 'RPS (+retry)' : 'RPS', tone: 'dim' }], c.rps),
    ...cell([{ text: c.detail ? 'ERR% (tries)' : 'ERR%', tone: 'dim' }], c.err),
    ...cell([{ text: 'P99', tone: 'dim' }], c.p99),
    ...(c.spark ? [{ text: ' ' }, ...fitSegs([{ text: 'RPS HISTORY', tone: 'dim' }], c.spark)] : []),
  ];
  const body: { segs: Seg[]; selected: boolean }[] = [];
  const nameW = Math.min(16, Math.max(...state.services.map((s) => cells(s.name)), 6));
  const edgeRow = (from: string, to: string, indent: string) => {
    const e = state.edges.find((x) => x.from === from && x.to === to);
    const f = e ? edgeFigures(state, e) : null;
    const left: Seg[] = [
      { text: indent },
      ...(from === 'client' ? [{ text: 'client', tone: 'dim' as const }, { text: ' → ' }] : [{ text: '→ ', tone: 'dim' as const }]),
      { text: to },
      ...securitySegs(f),
    ];
    // What the edge's budgets refused so far: quota or rate limit (429 RL), deadline run out (DE).
    const budgets = e ? edgeBudgets(state, e) : null;
    if (budgets?.limited) left.push({ text: ` RL ${budgets.limited}`, tone: 'warn' });
    if (budgets?.deadlineExceeded) left.push({ text: ` DE ${budgets.deadlineExceeded}`, tone: 'warn' });
    body.push({ segs: [...fitSegs(left, c.name), ...figureSegs(f, c), ...sparkSegs(state, e ? [e.key] : [], c)], selected: false });
  };
  edgeRow('client', state.scenario.loadTarget, '');
  for (const s of state.services) {
    const sel = selected === `service:${s.name}`;
    const figures = serviceFigures(state, s);
    const left: Seg[] = [{ text: sel ? '▸ ' : '  ', tone: 'accent' }, { text: s.name.padEnd(nameW), bold: true, inverse: sel }];
    const tag = [...edgeTag(s, figures), ...troubleSegs(figures)];
    if (tag.length) left.push(...tag);
    if (!expanded) left.push({ text: ' ' }, ...badges(state, s, selected, c.name - 2 - Math.max(nameW, cells(s.name)) - 1 - segWidth(tag)));
    body.push({ segs: [...fitSegs(left, c.name), ...figureSegs(figures, c), ...sparkSegs(state, serviceKeys(s), c)], selected: sel });
    if (expanded) {
      for (const name of s.instances) {
        const inst = state.instances[name];
        const isel = selected === `instance:${name}`;
        const b = INSTANCE_BADGE[inst.status];
        const since = inst.status !== 'healthy' && inst.since !== null && state.t0 !== null ? ` ${seconds(runMs(state, inst.since))}` : '';
        const ileft: Seg[] = [
          { text: isel ? '  ▸ ' : '    ', tone: 'accent' },
          { text: `${b.mark} `, tone: b.tone },
          { text: name, inverse: isel },
          { text: ` ${b.word}`, tone: b.tone },
          { text: since, tone: 'dim' },
        ];
        body.push({ segs: [...fitSegs(ileft, c.name), ...figureSegs(instanceFigures(state, name), c), ...sparkSegs(state, [`instance:${name}`], c)], selected: isel });
      }
    }
    for (const to of s.calls) edgeRow(s.name, to, '  ');
    // BlackHoleCluster / PassthroughCluster: what the sidecar did with hosts the mesh does not know.
    for (const e of state.edges) if (e.from === s.name && !s.calls.includes(e.to)) edgeRow(s.name, e.to, '  ');
  }
  return [header, ...viewport(body, height - 1, width)];
}

/** What a row at the edge of the mesh is, and a gateway's requests no route took in the last second (404 NR). */
function edgeTag(s: ServiceView, f: Figures | null): Seg[] {
  if (!s.kind) return [];
  const word = s.kind === 'ingress' ? ' gateway' : s.kind === 'egress' ? ' egress' : ' external';
  const out: Seg[] = [{ text: word, tone: 'dim' }];
  const nr = f?.flags.NR ?? 0;
  if (nr > 0) out.push({ text: ` NR ${nr}/s`, tone: 'warn' });
  return out;
}

/** The body rows that fit in `rows`, scrolled so the selected row shows; "… N more" marks what is cut. */
function viewport(body: { segs: Seg[]; selected: boolean }[], rows: number, width: number): Seg[][] {
  if (rows <= 0) return [];
  if (body.length <= rows) return body.map((r) => r.segs);
  const room = Math.max(1, rows - 1);
  const sel = Math.max(0, body.findIndex((r) => r.selected));
  const start = Math.min(Math.max(0, sel - room + 1), body.length - room);
  const shown = body.slice(start, start + room).map((r) => r.segs);
  const above = start;
  const below = body.length - start - room;
  const more = [above ? `${above} above` : '', below ? `${below} below` : ''].filter(Boolean).join(', ');
  return [...shown, fitSegs([{ text: `  … ${more} (↑/↓ to move)`, tone: 'dim' }], width)];
}

/** Instance badges for a service row, fitted to `width`: each by name when they fit, else the healthy ones counted. */
function badges(state: RunViewState, s: ServiceView, selected: string | null, width: number): Seg[] {
  const insts = s.instances.map((n) => state.instances[n]);
  const isSel = (i: InstanceView) => selected === `instance:${i.name}`;
  // Most to least said: every instance by name (words for the ones not healthy); the healthy ones
  // counted; then without words; then only counts.
  const named = (words: boolean) => insts.flatMap((i, k) => badge(i, selected, k > 0, words && i.status !== 'healthy'));
  const counted = (words: boolean) => {
    const healthy = insts.filter((i) => i.status === 'healthy' && !isSel(i)).length;
    const out: Seg[] = healthy ? [{ text: `✔×${healthy}`, tone: 'ok' }] : [];
    insts.filter((i) => i.status !== 'healthy' || isSel(i)).forEach((i, k) => out.push(...badge(i, selected, k > 0 || healthy > 0, words && i.status !== 'healthy')));
    return out;
  };
  const counts = () => {
    const n = new Map<string, { mark: string; tone: Seg['tone']; count: number }>();
    for (const i of insts) {
      const b = INSTANCE_BADGE[i.status];
      const c = n.get(b.word) ?? { mark: b.mark, tone: b.tone, count: 0 };
      c.count++;
      n.set(b.word, c);
    }
    return [...n.values()].flatMap((c, k) => [...(k ? [{ text: ' ' }] : []), { text: `${c.mark}×${c.count}`, tone: c.tone }]);
  };
  for (const candidate of [() => named(true), () => counted(true), () => named(false), () => counted(false)]) {
    const segs = candidate();
    if (segWidth(segs) <= width) return segs;
  }
  return counts();
}

function badge(i: InstanceView, selected: string | null, gap: boolean, withWord: boolean): Seg[] {
  const b = INSTANCE_BADGE[i.status];
  const sel = selected === `instance:${i.name}`;
  return [
    ...(gap ? [{ text: ' ' }] : []),
    { text: b.mark, tone: b.tone },
    { text: i.name, inverse: sel, tone: i.status === 'healthy' ? undefined : b.tone },
    ...(withWord ? [{ text: ` ${b.word}`, tone: b.tone }] : []),
  ];
}

function figureSegs(f: Figures | EdgeFigures | null, c: Columns): Seg[] {
  if (!f) return [...cell([{ text: '·', tone: 'dim' }], c.rps), ...cell([{ text: '·', tone: 'dim' }], c.err), ...cell([{ text: '·', tone: 'dim' }], c.p99)];
  const rps: Seg[] = [{ text: shortRps(f.rps) }];
  if (c.detail && f.retries > 0) rps.push({ text: ` (+${shortRps(f.retries)} retry)`, tone: 'warn' });
  const et = errorTone(f.errorRate);
  const err: Seg[] = [{ text: `${shortPercent(f.errorRate)}${et.mark}`, tone: et.tone }];
  if (c.detail && 'actualErrorRate' in f && f.actualErrorRate !== null && f.retries > 0) {
    const at = errorTone(f.actualErrorRate);
    err.push({ text: ' (' }, { text: `${shortPercent(f.actualErrorRate)}${at.mark}`, tone: at.tone }, { text: ')' });
  }
  return [...cell(rps, c.rps), ...cell(err, c.err), ...cell([{ text: f.rps > 0 ? shortLatency(f.p99) : '–', tone: f.rps > 0 ? undefined : 'dim' }], c.p99)];
}

/**
How an edge's last second travelled: `mTLS` when every request went over mutual TLS, `plain` when
none did, `mTLS 60%` in between (a mode switching, a rotation); then its trouble.
*/
function securitySegs(f: Figures | null): Seg[] {
  if (!f || f.rps === 0) return troubleSegs(f);
  const share = (f.mtls ?? 0) / f.rps;
  const mark: Seg = share >= 1 ? { text: ' mTLS', tone: 'ok' } : share <= 0 ? { text: ' plain', tone: 'dim' } : { text: ` mTLS ${shortPercent(share)}`, tone: 'warn' };
  return [mark, ...troubleSegs(f)];
}

/** Requests refused by authorization and failed handshakes in the last second, when there were any. */
function troubleSegs(f: Figures | null): Seg[] {
  const out: Seg[] = [];
  if (f?.denied) out.push({ text: ` ${f.denied} denied`, tone: 'bad' });
  if (f?.handshakeErrors) out.push({ text: ` ${f.handshakeErrors} tls✗`, tone: 'bad' });
  return out;
}

/** A right-aligned figure column, always a space from its left neighbour. */
function cell(segs: readonly Seg[], width: number): Seg[] {
  return [{ text: ' ' }, ...rightSegs(segs, width - 1)];
}

function sparkSegs(state: RunViewState, keys: readonly string[], c: Columns): Seg[] {
  if (!c.spark) return [];
  const values = keys.length ? history(state, keys, 'rps', c.spark - 1) : [];
  return [{ text: ' ' }, { text: ` ${sparkline(values, c.spark - 1)}`, tone: 'accent' }];
}

import { formatDuration, formatWindow } from '../../util/format.ts';
import { escapeHtml } from './escape.ts';
import type { FaultBand, StateMark } from './run-marks.ts';
import { linearScale, niceTicks } from './scale.ts';

/** One series of a chart: a value per second of the run (NaN: nothing to draw that second). */
export interface ChartSeries {
  label: string;
  /** CSS class giving its colour (see styles.ts): s-rps, s-retries, s-p50, s-p90, s-p99, s-errors. */
  cls: string;
  values: readonly number[];
  /** A line through the seconds' middles, or a bar per second. @default 'line' */
  draw?: 'line' | 'bars';
}

export interface TimeChartOptions {
  /** Run length in seconds: the x axis goes from 0 to it. */
  seconds: number;
  series: readonly ChartSeries[];
  /** Formats a y value for the axis and the tooltips. */
  format: (v: number) => string;
  bands: readonly FaultBand[];
  marks: readonly StateMark[];
  /** Extra attributes on the <svg> (data-scope, data-metric), to find the chart in a page. */
  attributes?: Record<string, string>;
  /** The run stopped early at this second: from it on, a grey "stopped" area and no data. @default null */
  stoppedAtSecond?: number | null;
  /** The values are counts: y ticks on whole numbers. @default false */
  integer?: boolean;
  /** Accessible name of the chart. */
  label: string;
  /** @default 360 */
  width?: number;
  /** @default 180 */
  height?: number;
}

const M = { top: 16, right: 10, bottom: 22, left: 48 };
/** Room a mark's glyph takes, px. */
const GLYPH_W = 9;
const MARK_GLYPH: Record<StateMark['kind'], string> = { ejected: '⊘', returned: '↺', unhealthy: '✚', healthy: '✓', killed: '✖', paused: 'Ⅱ', restarted: '▶' };

/**
A small time-series chart as an SVG string: seconds of the run on x (from 0), the series' values on
y (from 0 to a round number above the largest), faults as bands behind the data, state changes as
marks, and per-second hover columns whose tooltips give every series' value. No script, no
external resource: it renders the same opened from disk, printed, or in a mail.
*/
export function timeChart(o: TimeChartOptions): string {
  const width = o.width ?? 360;
  const height = o.height ?? 180;
  const n = Math.max(1, o.seconds);
  const x = linearScale([0, n], [M.left, width - M.right]);
  const finite = o.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const yTicks = niceTicks(0, Math.max(0, ...finite), 4, o.integer ? 1 : 0);
  const y = linearScale([0, yTicks[yTicks.length - 1]], [height - M.bottom, M.top]);
  const top = M.top;
  const bottom = height - M.bottom;
  const parts: string[] = [];
  const attrs = Object.entries(o.attributes ?? {}).map(([k, v]) => ` ${k}="${escapeHtml(v)}"`).join('');
  parts.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(o.label)}"${attrs}>`);

  // Faults first, so the data is drawn over them.
  for (const b of o.bands) {
    const x0 = x(b.fromMs / 1000);
    const x1 = Math.max(x0 + 1, x(b.toMs / 1000));
    const tip = `${b.name}: ${formatWindow({ fromMs: Math.round(b.fromMs), toMs: Math.round(b.toMs) })}${b.applied ? '' : ' (planned; never took effect)'}${b.detail ? ` — ${b.detail}` : ''}`;
    parts.push(`<rect class="fault-band c${b.colour % 4}${b.applied ? '' : ' not-applied'}" data-fault="${escapeHtml(b.name)}" x="${r(x0)}" y="${top}" width="${r(x1 - x0)}" height="${bottom - top}"><title>${escapeHtml(tip)}</title></rect>`);
    if (x1 - x0 >= b.name.length * 5.5 + 4) parts.push(`<text class="band-label" x="${r(x0 + 3)}" y="${top + 9}">${escapeHtml(b.name)}</text>`);
  }

  if (o.stoppedAtSecond !== null && o.stoppedAtSecond !== undefined && o.stoppedAtSecond < n) {
    const x0 = x(o.stoppedAtSecond);
    parts.push(`<rect class="stopped" x="${r(x0)}" y="${top}" width="${r(x(n) - x0)}" height="${bottom - top}"><title>the run stopped here: nothing measured after ${o.stoppedAtSecond}s</title></rect>`);
    if (x(n) - x0 > 50) parts.push(`<text class="stopped-label" x="${r((x0 + x(n)) / 2)}" y="${r((top + bottom) / 2)}">stopped</text>`);
  }

  // Axes: horizontal grid at the y ticks, seconds along the bottom.
  for (const t of yTicks) {
    const yy = r(y(t));
    parts.push(`<line class="grid" x1="${M.left}" x2="${width - M.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="tick y" x="${M.left - 4}" y="${yy}" dy="0.32em">${escapeHtml(o.format(t))}</text>`);
  }
  for (const t of niceTicks(0, n, Math.min(6, n)).filter((t) => t <= n)) {
    parts.push(`<text class="tick x" x="${r(x(t))}" y="${height - 6}">${t}s</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${width - M.right}" y1="${bottom}" y2="${bottom}"/>`);

  const stop = o.stoppedAtSecond ?? Infinity;
  for (const series of o.series) {
    const s = { ...series, values: series.values.map((v, i) => (i < stop ? v : NaN)) };
    if ((s.draw ?? 'line') === 'bars') {
      const w = Math.max(1, (x(1) - x(0)) * 0.7);
      const rects = s.values
        .map((v, i) => (Number.isFinite(v) && v > 0 ? `<rect x="${r(x(i + 0.5) - w / 2)}" y="${r(y(v))}" width="${r(w)}" height="${r(bottom - y(v))}"/>` : ''))
        .join('');
      parts.push(`<g class="series bars ${s.cls}" data-series="${escapeHtml(s.label)}">${rects}</g>`);
    } else {
      parts.push(`<path class="series line ${s.cls}" data-series="${escapeHtml(s.label)}" d="${linePath(s.values, (i) => x(i + 0.5), y)}"/>`);
    }
  }

  // Marks come sorted by time; glyphs closer than one glyph apart (a kill and the ejection it causes)
  // are set side by side, while each line stays at its true time.
  let lastGlyph = -Infinity;
  for (const m of o.marks) {
    const at = x(Math.max(0, Math.min(n, m.atMs / 1000)));
    const glyph = Math.max(at, lastGlyph + GLYPH_W);
    lastGlyph = glyph;
    parts.push(
      `<g class="mark mark-${m.kind}" data-kind="${m.kind}" data-instance="${escapeHtml(m.instance)}"><title>${escapeHtml(`${formatDuration(Math.round(m.atMs))} ${m.text}`)}</title>` +
        `<line x1="${r(at)}" x2="${r(at)}" y1="${top}" y2="${bottom}"/><text x="${r(glyph)}" y="${top - 4}">${MARK_GLYPH[m.kind]}</text></g>`,
    );
  }

  // Hover columns last, so they are on top and every second has its tooltip.
  const colW = x(1) - x(0);
  const cols: string[] = [];
  for (let i = 0; i < n; i++) {
    const values = o.series.map((s) => `${s.label} ${i < stop && Number.isFinite(s.values[i]) ? o.format(s.values[i]) : '–'}`).join(' · ');
    cols.push(`<rect x="${r(x(i))}" y="${top}" width="${r(colW)}" height="${bottom - top}"><title>${i}s–${i + 1}s: ${escapeHtml(values)}</title></rect>`);
  }
  parts.push(`<g class="hover">${cols.join('')}</g>`);
  parts.push('</svg>');
  return parts.join('');
}

/** An SVG path through the finite values; a NaN leaves a gap (a new sub-path starts after it). A lone point is a dot-length segment. */
export function linePath(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  const d: string[] = [];
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    const next = values[i + 1];
    const lone = !pen && !Number.isFinite(next);
    d.push(`${pen ? 'L' : 'M'}${r(x(i))} ${r(y(v))}${lone ? ' h0.01' : ''}`);
    pen = true;
  });
  return d.join(' ');
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/**
Small formatters for the live view: numbers that fit a narrow column, sparklines, bars. Values read
the same as in reports (`12.5ms`, `99.5%`), only shorter where a column demands it.
*/

/** Shown for a figure that is not known yet (no live stats arrived) or not measurable (p99 of no requests). */
export const UNKNOWN = '–';

/** Requests per second as a whole number when ≥ 10, one decimal below: "105", "4.5", "0". */
export function shortRps(rps: number | null | undefined): string {
  if (rps === null || rps === undefined || !Number.isFinite(rps)) return UNKNOWN;
  if (rps === 0) return '0';
  return rps >= 10 ? String(Math.round(rps)) : String(Math.round(rps * 10) / 10);
}

/** An error ratio as a percentage with one decimal ("0.0%", "4.8%", "100%"). */
export function shortPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return UNKNOWN;
  const p = ratio * 100;
  if (p >= 99.95) return '100%';
  return `${p.toFixed(1)}%`;
}

/** A latency in at most 6 characters: "0.42ms", "12.3ms", "312ms", "1.25s". */
export function shortLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return UNKNOWN;
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 2).replace(/\.?0+$/, '')}s`;
  if (ms >= 99.5) return `${Math.round(ms)}ms`;
  if (ms >= 1) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

/** Seconds with one decimal: "3.2s", "-0.8s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
A sparkline of the last `width` values, scaled to their largest (an all-zero history is a flat line);
a missing value (NaN, null) is a space, so a gap reads as "nothing measured".
*/
export function sparkline(values: readonly (number | null | undefined)[], width: number): string {
  if (width <= 0) return '';
  const tail = values.slice(-width);
  const finite = tail.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const max = Math.max(0, ...finite);
  const out = tail.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return ' ';
    if (max <= 0) return SPARKS[0];
    return SPARKS[Math.min(SPARKS.length - 1, Math.floor((v / max) * (SPARKS.length - 1) + 0.5))];
  });
  return out.join('').padStart(width, ' ');
}

/** A progress bar of `width` cells for a fraction in [0, 1]: "█████░░░░░". */
export function bar(fraction: number, width: number): string {
  if (width <= 0) return '';
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** `s` cut to at most `width` characters, with an ellipsis when cut; never padded. */
export function clip(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 0 ? '' : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** Visible width of a string as this view counts it (one cell per code point; the view uses no wide characters). */
export function cells(s: string): number {
  return [...s].length;
}

import type { Unit } from '../scenario/scenario.ts';

/**
Formatters that write numbers the way people write them in a scenario file and in a CI log:
`150ms`, `2s`, `1m30s`, `99.58%`, `199.6/s`. Verdict explanations and every reporter use these, so
a value reads the same everywhere.

Each value formatter takes `extraDigits`: more decimals than the default, for when two different
numbers would otherwise print the same (`99.5%` measured against `99.5%` needed; see `formatPair`).
*/

/** Shown in place of a number that could not be measured. */
export const NOT_MEASURED = 'n/a';

/** `x` with at most `decimals` decimals and no trailing zeros: 99.50 → "99.5", 3.0 → "3". */
export function trimmed(x: number, decimals: number): string {
  const s = x.toFixed(Math.max(0, Math.min(20, decimals)));
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** A ratio in [0, 1] as a percentage: 0.995833 → "99.58%", 1 → "100%". */
export function formatPercent(ratio: number, extraDigits = 0): string {
  if (!Number.isFinite(ratio)) return NOT_MEASURED;
  return `${trimmed(ratio * 100, 2 + extraDigits)}%`;
}

/** A latency in ms: "0.35ms", "4.2ms", "42.5ms", "312ms", "1.25s". */
export function formatLatency(ms: number, extraDigits = 0): string {
  if (!Number.isFinite(ms)) return NOT_MEASURED;
  const a = Math.abs(ms);
  if (a >= 1000) return `${trimmed(ms / 1000, 2 + extraDigits)}s`;
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return `${trimmed(ms, decimals + extraDigits)}ms`;
}

/** A rate per second: "200/s", "199.6/s", "0.25/s". */
export function formatRate(perSecond: number, extraDigits = 0): string {
  if (!Number.isFinite(perSecond)) return NOT_MEASURED;
  const decimals = Math.abs(perSecond) >= 10 ? 1 : 2;
  return `${trimmed(perSecond, decimals + extraDigits)}/s`;
}

/** A count: integers as they are, anything else with up to 2 decimals. */
export function formatCount(n: number, extraDigits = 0): string {
  if (!Number.isFinite(n)) return NOT_MEASURED;
  return Number.isInteger(n) ? String(n) : trimmed(n, 2 + extraDigits);
}

/**
A duration or an offset into the run, as a scenario would write it: "0s", "250ms", "2s", "2.5s",
"1m30s", "1h5m". Used for windows ("2s–8s") and the run's length.
*/
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return NOT_MEASURED;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1000) return `${trimmed(ms, 3)}ms`;
  if (ms < 60_000) return `${trimmed(ms / 1000, 3)}s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}

/** A window of the run: "0s–10s" (an en dash, as people write ranges). */
export function formatWindow(window: { fromMs: number; toMs: number }): string {
  return `${formatDuration(window.fromMs)}–${formatDuration(window.toMs)}`;
}

/** A value in a metric's unit. */
export function formatValue(value: number, unit: Unit, extraDigits = 0): string {
  switch (unit) {
    case 'ratio':
      return formatPercent(value, extraDigits);
    case 'ms':
      return formatLatency(value, extraDigits);
    case 'rps':
      return formatRate(value, extraDigits);
    case 'count':
      return formatCount(value, extraDigits);
  }
}

/**
Formats a measured value and the value it is compared with so that two different numbers never
print the same: 0.99499 against 0.995 gives "99.499%" and "99.5%", not "99.5%" twice. Equal numbers
(within `epsilon`, relative to the larger magnitude) keep the default precision.
*/
export function formatPair(measured: number, threshold: number, unit: Unit, epsilon = 1e-9): [string, string] {
  let extra = 0;
  let m = formatValue(measured, unit);
  let t = formatValue(threshold, unit);
  const differ =
    Number.isFinite(measured) && Math.abs(measured - threshold) > epsilon * Math.max(1, Math.abs(measured), Math.abs(threshold));
  while (differ && m === t && extra < 8) {
    extra++;
    m = formatValue(measured, unit, extra);
    t = formatValue(threshold, unit, extra);
  }
  return [m, t];
}

/** "1 request" / "2 requests". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

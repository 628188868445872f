/**
The one place numbers become words: durations, latencies, percentages, rates, counts and sizes,
written the way people write them in a scenario file and in a CI log (`150ms`, `2s`, `1m30s`,
`99.58%`, `199.6/s`, `64KiB`). Scenario messages, the describer of mesh events, verdict
explanations, every reporter and the live view use these, so a value reads the same everywhere.

Each value formatter takes `extraDigits`: more decimals than the default, for when two different
numbers would otherwise print the same (`99.5%` measured against `99.5%` needed; see `formatPair`).
*/

/** What a number measures: a ratio (shown as a percentage), a latency in ms, a rate per second, or a count. */
export type Unit = 'ratio' | 'ms' | 'rps' | 'count';

/** Shown in place of a number that could not be measured. */
export const NOT_MEASURED = 'n/a';

/** `x` with at most `decimals` decimals and no trailing zeros: 99.50 → "99.5", 3.0 → "3". */
export function trimmed(x: number, decimals: number): string {
  const s = x.toFixed(Math.max(0, Math.min(20, decimals)));
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** A ratio as a percentage with up to 2 decimals: 0.995833 → "99.58%", 1 → "100%", 0 → "0%". */
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
A duration or an offset into the run, as a scenario would write it, which the scenario reader reads
back to the same number (it keeps the microsecond): "0s", "500us", "250ms", "2s", "2.5s", "1m",
"1m30s", "1h5m". 0 is "0s": the start of the run, as windows say ("0s–10s").
*/
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return NOT_MEASURED;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const us = Math.round(ms * 1000);
  if (us === 0) return '0s';
  if (us < 1000) return `${us}us`;
  if (us < 1_000_000) return `${trimmed(us / 1000, 3)}ms`;
  if (us < 60_000_000) return `${trimmed(us / 1_000_000, 6)}s`;
  const h = Math.floor(us / 3_600_000_000);
  const m = Math.floor((us % 3_600_000_000) / 60_000_000);
  const s = (us % 60_000_000) / 1_000_000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${trimmed(s, 6)}s` : ''}`;
}

/** A window of the run: "0s–10s" (an en dash, as people write ranges). */
export function formatWindow(window: { fromMs: number; toMs: number }): string {
  return `${formatDuration(window.fromMs)}–${formatDuration(window.toMs)}`;
}

/** Bytes per unit: SI (KB = 1000) and binary (KiB = 1024), as people write them. */
export const SIZE_UNITS: Readonly<Record<'B' | 'KB' | 'KiB' | 'MB' | 'MiB', number>> = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576 };

/** A number of bytes in the shortest exact form: 65536 → "64KiB", 1000000 → "1MB", 1500 → "1500B". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return NOT_MEASURED;
  for (const unit of ['MiB', 'MB', 'KiB', 'KB'] as const) {
    const f = SIZE_UNITS[unit];
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}B`;
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

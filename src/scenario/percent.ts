import { formatPercent } from '../util/format.ts';
import { describeFound, shortText, fail, ok, scaleDecimal, type Parsed } from './parsed.ts';

export interface PercentOptions {
  /** Largest allowed value, as a fraction. Default 1 (100%); retry ratios may exceed it. */
  max?: number;
}

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)$/;

/**
Reads a percentage into a fraction: `"99.5%"` → 0.995. A bare number n is read as n percent, as
Istio reads `percentage.value` (so `10` is 10%, and `0.1` is 0.1%, not 10%).
*/
export function readPercent(input: unknown, options: PercentOptions = {}): Parsed<number> {
  const max = options.max ?? 1;
  let digits: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(`found ${describeFound(input)}; expected a percentage such as 10%`);
    if (input < 0) return fail(`found ${describeFound(input)}; a percentage cannot be negative`);
    digits = String(input);
  } else if (typeof input === 'string') {
    const text = input.trim();
    const m = /^(.*?)\s*%$/.exec(text);
    const body = m ? m[1] : text;
    if (body.startsWith('-')) return fail(`found ${shortText(input)}; a percentage cannot be negative`);
    if (!NUMBER.test(body)) return fail(`found ${shortText(input)}; expected a percentage such as 10% or 99.5%`);
    digits = body;
  } else {
    return fail(`found ${describeFound(input)}; expected a percentage such as 10% or 99.5%`);
  }
  const value = scaleDecimal(digits, -2);
  if (value > max) {
    return fail(`found ${describeFound(input)}; a percentage here is at most ${formatPercent(max)}`);
  }
  return ok(value);
}

/** Throwing form of {@link readPercent}, for callers outside the scenario checker. */
export function parsePercent(input: string | number, options?: PercentOptions): number {
  const r = readPercent(input, options);
  if (!r.ok) throw new RangeError(r.message);
  return r.value;
}

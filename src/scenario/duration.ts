import { describeFound, shortText, fail, ok, scaleDecimal, type Parsed } from './parsed.ts';

/** Microseconds per unit. Go's time.ParseDuration units, as Istio and Envoy configs use them. */
const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

const PART = /(\d+(?:\.\d+)?|\.\d+)(µs|us|ms|s|m|h)/y;
const EXPECTED = 'expected a duration such as 150ms or 10s';
const UNITS_HINT = 'units: us, ms, s, m, h; parts may be combined, as in 1m30s';

/**
Reads a duration as people write it (`150ms`, `2s`, `1.5s`, `1m`, `1m30s`, `500us`/`500µs`) into
milliseconds. A bare number is refused: "timeout: 600" could mean ms or s, and guessing wrong
silently changes what a scenario tests. Sub-millisecond precision is kept to the microsecond.
*/
export function readDuration(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    return fail(`found ${describeFound(input)}; ${EXPECTED} (a unit is required: "${input}ms" or "${input}s")`);
  }
  if (typeof input !== 'string') return fail(`found ${describeFound(input)}; ${EXPECTED}`);
  const text = input.trim();
  if (/^[+-]?(\d+(\.\d+)?|\.\d+)$/.test(text)) {
    return fail(`found "${text}" (a number); ${EXPECTED} (a unit is required: "${text}ms" or "${text}s")`);
  }
  if (text.startsWith('-')) return fail(`found ${shortText(input)}; a duration cannot be negative`);
  let us = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) break;
    // Round to whole microseconds from an exact decimal so 1.1s is 1100ms, not 1100.0000000000002.
    us += Math.round(scaleDecimal(m[1], 0) * UNIT_US[m[2]]);
    at = PART.lastIndex;
  }
  if (at === 0 || at < text.length) {
    const unspaced = text.replace(/\s+/g, '');
    if (unspaced !== text && readDuration(unspaced).ok) {
      return fail(`found ${shortText(input)}; write it without spaces: "${unspaced}"`);
    }
    return fail(`found ${shortText(input)}; ${EXPECTED} (${UNITS_HINT})`);
  }
  return ok(us / 1000);
}

/** Like {@link readDuration}, for callers that want an exception (CLI flags): throws a RangeError with the same message. */
export function parseDuration(input: string): number {
  const r = readDuration(input);
  if (!r.ok) throw new RangeError(r.message);
  return r.value;
}

import { describeFound, shortText, fail, ok, type Parsed } from './parsed.ts';

const PER: Record<string, number> = { '/s': 1, rps: 1, '/m': 60, '/h': 3600 };
const RATE = /^(\d+(?:\.\d+)?|\.\d+)\s*(\/s|rps|\/m|\/h)?$/;
const EXPECTED = 'expected a rate such as 200/s, 200rps or 12000/m';

/** Reads a request rate into requests per second: `200/s`, `200rps`, `12000/m`, `3600/h`; a bare number is per second. */
export function readRate(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return fail(`found ${describeFound(input)}; ${EXPECTED}; a rate cannot be negative`);
    return ok(input);
  }
  if (typeof input !== 'string') return fail(`found ${describeFound(input)}; ${EXPECTED}`);
  const text = input.trim();
  if (text.startsWith('-')) return fail(`found ${shortText(input)}; a rate cannot be negative`);
  const m = RATE.exec(text);
  if (!m) return fail(`found ${shortText(input)}; ${EXPECTED}`);
  return ok(Number(m[1]) / PER[m[2] ?? '/s']);
}

/** Throwing form of {@link readRate}. */
export function parseRate(input: string | number): number {
  const r = readRate(input);
  if (!r.ok) throw new RangeError(r.message);
  return r.value;
}

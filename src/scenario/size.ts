import { SIZE_UNITS } from '../util/format.ts';
import { atMost, LIMITS } from './limits.ts';
import { describeFound, shortText, fail, ok, scaleDecimal, type Parsed } from './parsed.ts';

const UNITS: Readonly<Record<string, number>> = SIZE_UNITS;
const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*(B|KB|KiB|MB|MiB)?$/;
const EXPECTED = 'expected a size such as 64KiB, 1MB or 512 (bytes)';

/**
Reads a size into whole bytes: `64KiB` (65536), `1.5KB` (1500), `1MB`, `512B`, or a bare number of
bytes. Units are case-sensitive (`kb` would be kilobits to some readers, so it gets a suggestion).
*/
export function readSize(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return fail(`found ${describeFound(input)}; ${EXPECTED}; a bare number is whole bytes`);
    return within(input, input);
  }
  if (typeof input !== 'string') return fail(`found ${describeFound(input)}; ${EXPECTED}`);
  const text = input.trim();
  const m = SIZE.exec(text);
  if (!m) {
    const unit = /[a-zA-Z]+$/.exec(text)?.[0];
    const near = unit ? Object.keys(UNITS).find((u) => u.toLowerCase() === unit.toLowerCase()) : undefined;
    return fail(`found ${shortText(input)}; ${EXPECTED}${near ? `; did you mean ${text.slice(0, -unit!.length)}${near}?` : ' (units: B, KB, KiB, MB, MiB)'}`);
  }
  const factor = UNITS[m[2] ?? 'B'];
  const exact = factor === 1 ? Number(m[1]) : m[2]!.includes('i') ? Number(m[1]) * factor : scaleDecimal(m[1], Math.log10(factor));
  const bytes = Math.round(exact);
  return within(bytes, input);
}

function within(bytes: number, input: unknown): Parsed<number> {
  if (bytes > LIMITS.size.max) return fail(`found ${describeFound(input)}; ${atMost(LIMITS.size)}`);
  return ok(bytes);
}

import { atMost, LIMITS } from './limits.ts';
import { describeFound, shortText, fail, ok, scaleDecimal, type Parsed } from './parsed.ts';

/** Bytes per unit: SI (KB = 1000) and binary (KiB = 1024), as people write them. */
const UNITS: Record<string, number> = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576 };
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

/** 65536 → "64KiB", 1500 → "1500B", 1000000 → "1MB": the shortest exact form. */
export function formatSize(bytes: number): string {
  for (const unit of ['MiB', 'MB', 'KiB', 'KB'] as const) {
    const f = UNITS[unit];
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}B`;
}

/**
The result of reading one value written by a person (a duration, a percentage, a rate): the value in
meshproof's units, or a message saying what was found and what would be valid. The scenario checker
collects these messages instead of stopping at the first, so parsing never throws on bad input.
*/
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail<T = never>(message: string): Parsed<T> {
  return { ok: false, message };
}

/** How a value found in YAML reads in a message: `"10ms"`, `"10" (a number)`, `true (a boolean)`. */
export function describeFound(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (typeof value === 'string') return shortText(value);
  if (typeof value === 'number') return `"${value}" (a number)`;
  if (typeof value === 'boolean') return `${value} (a boolean)`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
A text found in the file, quoted for a message; a long one is shown by its start and its length,
so a message never repeats a whole pasted file.
*/
export function shortText(text: string, keep = 60): string {
  if (text.length <= keep + 10) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, keep) + '…')} (${text.length} characters)`;
}

/**
Exact decimal scaling: `scaleDecimal("1.1", 3)` is 1100, not 1100.0000000000002, because the
string is re-read with a shifted exponent rather than multiplied in binary floating point.
*/
export function scaleDecimal(digits: string, power: number): number {
  return Number(`${digits}e${power}`);
}

/** Strips binary floating-point noise for display (0.30000000000000004 → 0.3). */
export function tidy(n: number): number {
  return Number(n.toPrecision(12));
}

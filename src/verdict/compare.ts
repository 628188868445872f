import type { Comparator } from '../scenario/scenario.ts';

/**
Tolerance for floating point only: 1195/1200 compared with 0.99583333… must not fail on the last
bit. Relative to the larger magnitude (at least 1), so it is 1e-9 for ratios and scales for ms.
*/
export const EPSILON = 1e-9;

/** Whether two numbers are equal up to floating-point error. */
export function nearlyEqual(a: number, b: number, epsilon = EPSILON): boolean {
  return Math.abs(a - b) <= epsilon * Math.max(1, Math.abs(a), Math.abs(b));
}

/** `measured op expected`, with equality up to floating-point error. False when measured is NaN. */
export function compare(measured: number, op: Comparator, expected: number, epsilon = EPSILON): boolean {
  if (Number.isNaN(measured) || Number.isNaN(expected)) return false;
  const eq = nearlyEqual(measured, expected, epsilon);
  switch (op) {
    case '<':
      return !eq && measured < expected;
    case '<=':
      return eq || measured < expected;
    case '>':
      return !eq && measured > expected;
    case '>=':
      return eq || measured > expected;
    case '==':
      return eq;
    case '!=':
      return !eq;
  }
}

import { formatValue, type Unit } from '../../util/format.ts';
import type { Spread } from './repeat-summary.ts';

/** A spread's figures as table cells: min, median, max, and p10 and p90 when there are ten values or more ('' otherwise); all '—' without a value. */
export function spreadCells(spread: Spread | null, unit: Unit | null): { min: string; median: string; max: string; p10: string; p90: string } {
  if (!spread || unit === null) return { min: '—', median: '—', max: '—', p10: '', p90: '' };
  const f = (x: number | undefined) => (x === undefined ? '' : formatValue(x, unit));
  return { min: f(spread.min), median: f(spread.median), max: f(spread.max), p10: f(spread.p10), p90: f(spread.p90) };
}

/**
A linear map from a data interval to a pixel interval, as chart axes need it. A degenerate domain
(from == to) maps everything to the middle of the range rather than dividing by zero.
*/
export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0))) as LinearScale;
  Object.defineProperty(f, 'domain', { value: [d0, d1] });
  Object.defineProperty(f, 'range', { value: [r0, r1] });
  return f;
}

/**
Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, about `count` of them, the first at
or below `min` and the last at or above `max` (so the axis ends on a tick). An empty or flat
interval still gets an axis: [0, 1] for nothing, [v - 1, v + 1]-ish around a constant. `minStep`
keeps counts on whole numbers (1: no "0.5 errors").
*/
export function niceTicks(min: number, max: number, count = 4, minStep = 0): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (max === 0) return [0, 1];
    const pad = Math.abs(max) * 0.5;
    return niceTicks(max > 0 ? 0 : min - pad, max > 0 ? max + pad : 0, count, minStep);
  }
  const step = Math.max(minStep, niceStep((max - min) / Math.max(1, count)));
  const first = Math.floor(min / step + 1e-9) * step;
  const last = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0, v = first; v <= last + step * 1e-6 && i < 1000; i++, v = first + i * step) {
    // Multiplying, not adding, keeps 0.1 + 0.2 artefacts out of the labels.
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** The nice step (1, 2 or 5 × 10^k) nearest above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const k = Math.floor(Math.log10(raw));
  const base = Math.pow(10, k);
  const f = raw / base;
  const m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
  return Number((m * base).toPrecision(12));
}

import type { HistogramJSON } from './series.ts';

/**
A mergeable latency histogram with ~1% relative precision (log buckets of ratio 1.02; the
reported value of a bucket is its geometric middle). Sparse, so a per-second bucket that saw a
handful of requests stays small, and serialisable as plain JSON so sidecars can ship it to the
harness. Values are milliseconds.
*/
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
/** Values below 1µs all land in bucket 0. */
const MIN_MS = 0.001;

export class Histogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;
  private readonly buckets = new Map<number, number>();

  record(ms: number): void {
    const v = ms > MIN_MS ? ms : MIN_MS;
    const i = Math.floor(Math.log(v / MIN_MS) / LOG_RATIO);
    this.buckets.set(i, (this.buckets.get(i) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: Histogram | HistogramJSON): this {
    if (other.count === 0) return this;
    const entries: Iterable<[number | string, number]> =
      other instanceof Histogram ? other.buckets : Object.entries(other.buckets);
    for (const [k, c] of entries) {
      const i = Number(k);
      this.buckets.set(i, (this.buckets.get(i) ?? 0) + c);
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** Value at quantile q in [0, 1]; exact at q = 1 (the max) and q = 0 (the min); NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q >= 1) return this.max;
    if (q <= 0) return this.min;
    const rank = Math.ceil(q * this.count);
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.buckets.get(k)!;
      if (seen >= rank) {
        const mid = MIN_MS * Math.pow(RATIO, k + 0.5);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  toJSON(): HistogramJSON {
    return {
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? 0 : this.min,
      max: this.max,
      buckets: Object.fromEntries(this.buckets),
    };
  }

  static from(json: HistogramJSON): Histogram {
    return new Histogram().merge(json);
  }
}

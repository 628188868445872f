import type { BucketCount, Recorder, SeriesKey, Sample, SparseSeries } from '../contract/series.ts';

/** A recorder that keeps nothing: where the warm-up's responses go, since they are not measured. */
export class DiscardingRecorder implements Recorder {
  t0 = 0;
  record(_key: SeriesKey, _sample: Sample): void {}
  add(_key: SeriesKey, _status: number | 'error', _latencyMs: number, _flags: readonly string[] | null): void {}
  retry(_key: SeriesKey): void {}
  count(_key: SeriesKey, _what: BucketCount): void {}
  toJSON(): SparseSeries {
    return {};
  }
  clear(): void {}
}

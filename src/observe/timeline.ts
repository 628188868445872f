import { BUCKET_COUNTS, type Bucket, type BucketCount, type Recorder, type Sample, type SeriesKey, type SparseSeries } from '../contract/series.ts';
import { Histogram } from '../contract/histogram.ts';

/** A run's whole timeline: for each series, one bucket per second from the start of the load. */
export interface Timeline {
  /** Epoch ms of second 0 (the start of the load). */
  t0: number;
  seconds: number;
  series: Record<SeriesKey, Bucket[]>;
}

export function emptyBucket(): Bucket {
  return { requests: 0, ok: 0, status: {}, flags: {}, retries: 0, latency: new Histogram().toJSON() };
}

/**
Records samples into per-second buckets. Used on the sidecar's request path, so recording is a few
map lookups and increments; histograms are serialised only when the timeline is read.
*/
export class SeriesRecorder implements Recorder {
  private readonly data = new Map<SeriesKey, LiveSeries>();
  /** Epoch ms of second 0; samples before it land in negative seconds, which readers ignore. */
  t0: number;
  private readonly now: () => number;

  constructor(options: { t0?: number; now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.t0 = options.t0 ?? this.now();
  }

  second(at = this.now()): number {
    return Math.floor((at - this.t0) / 1000);
  }

  record(key: SeriesKey, sample: Sample, at = this.now()): void {
    this.add(key, sample.status, sample.latencyMs, sample.flags ?? null, at);
  }

  /** `record` without a Sample object, for the request path: one call per completed request or try. */
  add(key: SeriesKey, status: number | 'error', latencyMs: number, flags: readonly string[] | null, at = this.now()): void {
    const b = this.bucket(key, this.second(at));
    b.requests++;
    if (status !== 'error' && status < 500) b.ok++;
    const sk = String(status);
    b.status[sk] = (b.status[sk] ?? 0) + 1;
    if (flags !== null) for (const f of flags) b.flags[f] = (b.flags[f] ?? 0) + 1;
    // A request that got no response has no meaningful latency (we may not even know when it started).
    if (!Number.isNaN(latencyMs)) b.latency.record(latencyMs);
  }

  retry(key: SeriesKey, at = this.now()): void {
    this.bucket(key, this.second(at)).retries++;
  }

  /** Adds one to a bucket's count beside its requests (a request over mTLS, one denied, a failed handshake). */
  count(key: SeriesKey, what: BucketCount, at = this.now()): void {
    this.bucket(key, this.second(at))[what]++;
  }

  private bucket(key: SeriesKey, sec: number): LiveBucket {
    let series = this.data.get(key);
    if (!series) this.data.set(key, (series = { lastSec: NaN, last: null, buckets: new Map() }));
    // Most samples of a series land in the same second as the one before.
    if (sec === series.lastSec && series.last !== null) return series.last;
    let b = series.buckets.get(sec);
    if (!b) series.buckets.set(sec, (b = { requests: 0, ok: 0, status: {}, flags: {}, retries: 0, latency: new Histogram(), mtls: 0, denied: 0, handshakeErrors: 0 }));
    series.lastSec = sec;
    series.last = b;
    return b;
  }

  /** Buckets of seconds >= since (all when omitted), as plain JSON. */
  toJSON(since = -Infinity): SparseSeries {
    const out: SparseSeries = {};
    for (const [key, series] of this.data) {
      const s: Record<string, Bucket> = {};
      for (const [sec, b] of series.buckets) {
        if (sec < since) continue;
        const { mtls, denied, handshakeErrors, ...rest } = b;
        const out: Bucket = { ...rest, latency: b.latency.toJSON() };
        if (mtls > 0) out.mtls = mtls;
        if (denied > 0) out.denied = denied;
        if (handshakeErrors > 0) out.handshakeErrors = handshakeErrors;
        s[sec] = out;
      }
      out[key] = s;
    }
    return out;
  }

  clear(): void {
    this.data.clear();
  }
}

interface LiveBucket extends Omit<Bucket, 'latency' | BucketCount> {
  latency: Histogram;
  mtls: number;
  denied: number;
  handshakeErrors: number;
}

/** One series' buckets by second, and the bucket the last sample went to. */
interface LiveSeries {
  lastSec: number;
  last: LiveBucket | null;
  buckets: Map<number, LiveBucket>;
}

/** Adds `b` into `a` (in place) and returns `a`. */
export function mergeBucket(a: Bucket, b: Bucket): Bucket {
  a.requests += b.requests;
  a.ok += b.ok;
  a.retries += b.retries;
  for (const [k, v] of Object.entries(b.status)) a.status[k] = (a.status[k] ?? 0) + v;
  for (const [k, v] of Object.entries(b.flags)) a.flags[k] = (a.flags[k] ?? 0) + v;
  for (const c of BUCKET_COUNTS) if (b[c]) a[c] = (a[c] ?? 0) + b[c];
  a.latency = Histogram.from(a.latency).merge(b.latency).toJSON();
  return a;
}

/** Folds sparse series from any number of sources into a dense timeline of `seconds` seconds. */
export function buildTimeline(t0: number, seconds: number, sources: SparseSeries[]): Timeline {
  const series: Record<SeriesKey, Bucket[]> = {};
  for (const src of sources) {
    for (const [key, secs] of Object.entries(src)) {
      const dense = (series[key] ??= Array.from({ length: seconds }, emptyBucket));
      for (const [sec, b] of Object.entries(secs)) {
        const i = Number(sec);
        // A response that completes just after the load ends still belongs to the run's last second.
        const at = i >= seconds ? seconds - 1 : i;
        if (at < 0) continue;
        mergeBucket(dense[at], b);
      }
    }
  }
  return { t0, seconds, series };
}

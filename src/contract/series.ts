/**
The per-second stats every sidecar and the load client record, and the harness folds into one
timeline (observe/timeline.ts): the series they record into, the bucket of one second of one series,
and the form in which sidecars ship them over their admin endpoint. Seconds count from the run's
`t0` (the epoch ms the load starts), which the control plane pushes to every sidecar.
*/

/**
What happened in one series during one second of the run. Sidecars and the load client fill these;
the harness merges them by series key and second.
*/
export interface Bucket {
  /** Requests that completed (a response, or a local error) in this second. */
  requests: number;
  /** Of those, the successful ones: a response with status < 500. */
  ok: number;
  /** Count by status code; `error` for requests that got no response at all (reset, refused, client timeout). */
  status: Record<string, number>;
  /** Count by Envoy response flag (UT, UF, UC, UH, URX, NR…). */
  flags: Record<string, number>;
  /** Retries issued in this second (edge and upstream series only). */
  retries: number;
  latency: HistogramJSON;
  /** Of the requests, those carried over mutual TLS (edge and instance series). Absent = 0. */
  mtls?: number;
  /** Of the requests, those refused by an authorization policy (403 `RBAC: access denied`). Absent = 0. */
  denied?: number;
  /**
  Mutual TLS handshakes that failed in this second (not requests): at an instance's inbound listener
  (plaintext refused by STRICT included) in its instance series, at a caller's sidecars in the edge
  series. Absent = 0.
  */
  handshakeErrors?: number;
}

/** The counts a bucket carries beside its requests, each absent when zero. */
export type BucketCount = 'mtls' | 'denied' | 'handshakeErrors';

export const BUCKET_COUNTS: readonly BucketCount[] = ['mtls', 'denied', 'handshakeErrors'];

/**
Series keys:
- `client`: what the load generator saw, latency from each request's intended send time (for an
  open-loop load; the actual send for closed loop);
- `client:sent`: the same requests, latency from the actual send;
- `instance:<instance>`: requests received by that instance's inbound sidecar;
- `edge:<from>-><to>`: requests from service `from`'s app to service `to`, at `from`'s outbound sidecars
  (what the caller saw, after retries); `from` is `client` for the ingress;
- `upstream:<from>-><instance>`: attempts (tries) sent by `from`'s outbound sidecars to one instance;
- `wasted:<instance>`: requests the instance's built-in service worked on after a caller up the chain
  had given up, one sample each when its work ended, the sample's latency being the work done after
  that moment (src/sim/builtin/work-log.ts);
- `saved:<instance>`: requests it stopped, or never started, because nobody waited any more
  (`deadlines: propagate`), the latency being the processing time it did not spend;
- `quota:<rule>`: the hits on one rule of the rate-limit service (`<domain>.<key_value…>`), status 200
  when let through (shadow mode included) and 429 with flag RL when refused; no latency.
*/
export type SeriesKey = string;

export const seriesKey = {
  client: (): SeriesKey => 'client',
  clientSent: (): SeriesKey => 'client:sent',
  instance: (instance: string): SeriesKey => `instance:${instance}`,
  edge: (from: string, to: string): SeriesKey => `edge:${from}->${to}`,
  upstream: (from: string, instance: string): SeriesKey => `upstream:${from}->${instance}`,
  wasted: (instance: string): SeriesKey => `wasted:${instance}`,
  saved: (instance: string): SeriesKey => `saved:${instance}`,
  quota: (rule: string): SeriesKey => `quota:${rule}`,
};

/**
A latency histogram as it travels: log buckets of ratio 1.02 from 1µs (contract/histogram.ts reads
and merges them), values in milliseconds.
*/
export interface HistogramJSON {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** bucket index → count */
  buckets: Record<string, number>;
}

/** Sparse form shipped by sidecars: series → second → bucket. */
export type SparseSeries = Record<SeriesKey, Record<string, Bucket>>;

/** One completed request, as recorded into a series. */
export interface Sample {
  status: number | 'error';
  /** NaN when unknown (a request that got no response); then only the count and status are kept. */
  latencyMs: number;
  /** Envoy response flags, e.g. ['UT'] or ['URX','UF']. */
  flags?: readonly string[];
}

/**
Where a sidecar or the load client records what it sees, bucketed per second from `t0` (the
harness's implementation is observe/timeline.ts's SeriesRecorder). Recording is on the request
path: a few map lookups and increments.
*/
export interface Recorder {
  /** Epoch ms of second 0; samples before it land in negative seconds, which readers ignore. */
  t0: number;
  record(key: SeriesKey, sample: Sample, at?: number): void;
  /** `record` without a Sample object, for the request path: one call per completed request or try. */
  add(key: SeriesKey, status: number | 'error', latencyMs: number, flags: readonly string[] | null, at?: number): void;
  /** Counts a retry issued (edge and upstream series). */
  retry(key: SeriesKey, at?: number): void;
  /** Adds one to a bucket's count beside its requests (a request over mTLS, one denied, a failed handshake). */
  count(key: SeriesKey, what: BucketCount, at?: number): void;
  /** Buckets of seconds >= since (all when omitted), as plain JSON. */
  toJSON(since?: number): SparseSeries;
  /** Forgets everything recorded (a new run's t0). */
  clear(): void;
}

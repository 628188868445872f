import type { FinishedSpan, SpanSink, TracingStats } from '../contract/span-sink.ts';
import { newSpanId } from '../contract/trace-context.ts';
import type { Random } from '../util/random.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { Agent, request } = process.getBuiltinModule('node:http');

export interface OtlpSpanSinkOptions {
  /** Full URL of the OTLP/HTTP traces endpoint (the harness's receiver, or the Docker runtime's span relay), e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint: string;
  /** `service.name` of the spans (the sidecar's service). */
  service: string;
  /** `service.instance.id` (the instance name). */
  instance: string;
  /** Ids of the spans (seeded, so a replayed run has the same ids). */
  random: Random;
  /** Converts the sidecar's clock (monotonic ms) to epoch ms. */
  toEpochMs: (clockMs: number) => number;
  /** Share of the traces started at this sidecar that are recorded (head sampling, by trace id). @default 1 */
  sampleRatio?: number;
  /** Most traces started at this sidecar recorded per second (after the ratio); 0 = no limit. @default 0 */
  maxTracesPerSecond?: number;
  /**
  Spans waiting for export at most; beyond, new spans are dropped (and counted) rather than
  held: tracing must never grow a sidecar's memory or slow its request path.
  @default 2048
  */
  maxQueueSize?: number;
  /** Largest export request, in spans: a batch is serialised in one go on the sidecar's event loop, so batches stay small. @default 128 */
  maxExportBatchSize?: number;
  /** How often queued spans are exported. @default 500 */
  scheduledDelayMs?: number;
  /** Timeout of one export (and of the final flush at shutdown). @default 3000 */
  exportTimeoutMs?: number;
  /** Headers of every export request: the run's credential (`authorization`), which the receiver requires. @default none */
  headers?: Record<string, string>;
  /** Monotonic ms, for the traces-per-second limit. @default performance.now */
  now?: () => number;
}

/** OTLP's span kinds (SPAN_KIND_SERVER, SPAN_KIND_CLIENT) and status codes. */
const KIND = { server: 2, client: 3 } as const;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/**
The sidecar's span sink: finished spans queued (bounded, drops counted), exported every
`scheduledDelayMs` as OTLP/HTTP JSON in batches to the harness's receiver (or the Docker runtime's
span relay), which alone reads them; the harness then exports to the user's collector through the
OpenTelemetry SDK (sdk-trace-export.ts). This hop is meshproof's own, so it does what the SDK's
BatchSpanProcessor and OTLP exporter did for it — same batching, same JSON, same head sampling by
trace id as OTel's TraceIdRatioBased — without loading the SDK: its ~300 CommonJS modules took
~100–150 ms of CPU off every sidecar's start-up (docs/benchmarks.md, "Start-up").
*/
export class OtlpSpanSink implements SpanSink {
  private readonly o: OtlpSpanSinkOptions;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private readonly upperBound: number;
  private readonly maxPerSecond: number;
  private readonly now: () => number;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly resource: string;
  private queue: FinishedSpan[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private tokens: number;
  private last: number;
  private closed = false;
  /** A flush is sending its batches, one a turn. */
  private draining = false;
  private readonly counts: TracingStats = { spans_recorded: 0, spans_dropped: 0, spans_exported: 0, spans_export_failed: 0, traces_rate_limited: 0 };

  constructor(options: OtlpSpanSinkOptions) {
    this.o = options;
    this.maxQueue = options.maxQueueSize ?? 2048;
    this.batchSize = options.maxExportBatchSize ?? 128;
    this.timeoutMs = options.exportTimeoutMs ?? 3000;
    const ratio = Math.min(1, Math.max(0, Number.isFinite(options.sampleRatio) ? options.sampleRatio! : 1));
    this.upperBound = ratio === 1 ? 0x100000000 : Math.floor(ratio * 0xffffffff);
    this.maxPerSecond = (options.maxTracesPerSecond ?? 0) > 0 ? options.maxTracesPerSecond! : Infinity;
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.maxPerSecond;
    this.last = this.now();
    this.resource = JSON.stringify({
      attributes: attributes({ 'service.name': options.service, 'service.instance.id': options.instance, 'service.namespace': 'meshproof' }),
      droppedAttributesCount: 0,
    });
  }

  /** OTel's TraceIdRatioBased decision (so a trace id gets the same answer wherever it is asked), then at most maxTracesPerSecond: a token bucket with a burst of one second's worth, as Jaeger's rate-limiting sampler. */
  sampleRoot(traceId: string): boolean {
    if (!(accumulate(traceId) < this.upperBound)) return false;
    if (this.maxPerSecond === Infinity) return true;
    const t = this.now();
    this.tokens = Math.min(this.maxPerSecond, this.tokens + ((t - this.last) / 1000) * this.maxPerSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.counts.traces_rate_limited++;
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  newSpanId(): string {
    return newSpanId(this.o.random);
  }

  /** Queues the span as given (encoded when its batch is sent, off the request's path): a finished span is not changed afterwards. */
  record(span: FinishedSpan): void {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.counts.spans_dropped++;
      return;
    }
    this.counts.spans_recorded++;
    this.queue.push(span);
    this.timer ??= setTimeout(() => this.flush(), this.o.scheduledDelayMs ?? 500);
    // A sidecar with nothing else to do must still be able to exit.
    this.timer.unref?.();
  }

  stats(): TracingStats {
    return { ...this.counts };
  }

  /** Exports what is queued, waits for every export under way (each bounded by its timeout), and stops. */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) {
      this.sendBatch();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([...this.inFlight]);
    this.agent.destroy();
  }

  /**
  Sends the queue, a batch per request and one batch per turn of the event loop: serialising a
  batch holds the sidecar's loop (~2 ms for 128 spans), so a request waits behind one batch at most.
  */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.draining) return;
    this.draining = true;
    const next = () => {
      this.sendBatch();
      if (this.queue.length > 0 && !this.closed) setImmediate(next);
      else this.draining = false;
    };
    next();
  }

  private sendBatch(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.batchSize);
    const sending = this.send(batch).then(() => void this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  private send(batch: FinishedSpan[]): Promise<void> {
    const body = `{"resourceSpans":[{"resource":${this.resource},"scopeSpans":[{"scope":{"name":"meshproof-sidecar"},"spans":[${batch.map((s) => this.encode(s)).join(',')}]}]}]}`;
    return new Promise<void>((resolve) => {
      let settled = false;
      let ok = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) this.counts.spans_exported += batch.length;
        else this.counts.spans_export_failed += batch.length;
        resolve();
      };
      const req = request(this.o.endpoint, {
        method: 'POST',
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.o.headers },
      });
      req.on('response', (res) => {
        ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
        res.on('end', () => done(ok));
        res.resume();
      });
      req.on('timeout', () => req.destroy(new Error('export timed out')));
      req.on('error', () => done(false));
      // The whole export, not only an idle socket, is bounded.
      const deadline = setTimeout(() => req.destroy(new Error('export timed out')), this.timeoutMs);
      deadline.unref();
      req.on('close', () => {
        clearTimeout(deadline);
        done(false);
      });
      req.end(body);
    });
  }

  /** One span in OTLP's JSON encoding (ids as hex, times as decimal nanoseconds since the epoch). */
  private encode(s: FinishedSpan): string {
    return JSON.stringify({
      traceId: s.traceId,
      spanId: s.spanId,
      ...(s.parentSpanId !== null ? { parentSpanId: s.parentSpanId } : {}),
      name: s.name,
      kind: KIND[s.kind],
      startTimeUnixNano: epochNanos(this.o.toEpochMs(s.start)),
      endTimeUnixNano: epochNanos(this.o.toEpochMs(s.end)),
      attributes: attributes(s.attributes),
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      status: { code: s.error ? STATUS_ERROR : STATUS_UNSET },
      links: [],
      droppedLinksCount: 0,
    });
  }
}

/** OTel's TraceIdRatioBased hash of a trace id: its four 32-bit words XORed; NaN for an id that is not 32 hex digits (never sampled). */
function accumulate(traceId: string): number {
  if (!/^[0-9a-f]{32}$/i.test(traceId) || /^0+$/.test(traceId)) return NaN;
  let acc = 0;
  for (let i = 0; i < 32; i += 8) acc = (acc ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return acc;
}

/** Epoch ms (fractional) as decimal nanoseconds, exact past 2^53. */
function epochNanos(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(nanos)).toString();
}

type AttributeValue = string | number | boolean | string[];

function attributes(attrs: Record<string, AttributeValue>): { key: string; value: object }[] {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: anyValue(v) }));
}

function anyValue(v: AttributeValue): object {
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => ({ stringValue: x })) } };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
}

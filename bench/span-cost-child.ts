import { loadavg } from 'node:os';

/**
One variant of the span-cost bench (bench/span-cost.ts), in a process of its own so its module
loading, memory and globals are its own. Argument: the variant; MESHPROOF_BENCH_OTLP: the
receiver's traces URL; MESHPROOF_BENCH_SPANS / _RATE: how many spans, how many a second.

It makes spans as a sidecar does (four per traced request, each with the sidecar's attributes,
after the request), at a steady rate like a sidecar under load, then flushes: the CPU measured is
making, batching, serialising and sending them. `none` runs the same pacing loop and makes
nothing: the baseline subtracted from the others.

Variants:
- `lean`: the sidecar's own path, OtlpSpanSink (src/trace/otlp-span-sink.ts: a bounded queue,
  batches of 128 every 500 ms, OTLP/HTTP JSON written by hand, no SDK);
- `sdk-base`: the sidecar's path before it (bench/otel-span-sink.ts: sdk-trace-base's
  BasicTracerProvider, a bounded BatchSpanProcessor, the OTLP/HTTP JSON exporter);
- `sdk-node`: a NodeSDK configured only from the environment (OTLP/HTTP protobuf, the SDK's default
  batch settings), spans made with the global tracer: what a sidecar would cost on sdk-node;
- `sdk-node-json`: the same with OTEL_EXPORTER_OTLP_PROTOCOL=http/json, to tell the encoding from
  the rest;
- `sdk-node-b128`: sdk-node exporting as the sidecar does (JSON, OTEL_BSP_MAX_EXPORT_BATCH_SIZE=128,
  OTEL_BSP_SCHEDULE_DELAY=500: small batches, which keep a sidecar's event loop free for requests),
  to tell the SDK from the batch size;
- `harness`: not a sidecar's cost but the harness's, for each sidecar span it sends on to the
  user's collector: spans as the receiver has them (parsed OTLP/JSON exports of 128 spans, made
  beforehand), converted and exported by SdkTraceExport over OTLP/HTTP protobuf.
Reports {type:'result', …} over IPC and exits.
*/
type Variant = 'none' | 'lean' | 'sdk-base' | 'sdk-node' | 'sdk-node-json' | 'sdk-node-b128' | 'harness';

const variant = process.argv[2] as Variant;
const endpoint = process.env.MESHPROOF_BENCH_OTLP!;
const total = Number(process.env.MESHPROOF_BENCH_SPANS ?? '20000');
const rate = Number(process.env.MESHPROOF_BENCH_RATE ?? '4000');

/** A sidecar's span attributes (an attempt span: the richest of the four). */
const ATTRIBUTES = {
  'meshproof.role': 'attempt',
  'meshproof.destination': 'store',
  'meshproof.attempt': 2,
  'http.request.resend_count': 1,
  'meshproof.upstream.instance': 'store-1',
  'server.address': '127.0.0.1:40123',
  'http.response.status_code': 200,
  'meshproof.policy': ['retry'],
};

interface Maker {
  span(i: number, startMs: number, endMs: number): void;
  /** Exports everything and stops. */
  close(): Promise<void>;
  /** Spans the variant lost (a full queue), so a run that dropped is not mistaken for a cheap one. */
  dropped(): number;
}

const rssBefore = process.memoryUsage().rss;
const loadStarted = performance.now();
const maker = await setUp(variant);
const setupMs = performance.now() - loadStarted;
const rssAfterSetup = process.memoryUsage().rss;

async function setUp(v: Variant): Promise<Maker> {
  if (v === 'none') return { span: () => {}, close: async () => {}, dropped: () => 0 };
  if (v === 'lean' || v === 'sdk-base') {
    const Sink = v === 'lean' ? (await import('../src/trace/otlp-span-sink.ts')).OtlpSpanSink : (await import('./otel-span-sink.ts')).OtelSpanSink;
    const { seededRandom } = await import('../src/util/random.ts');
    const { newTraceId } = await import('../src/contract/trace-context.ts');
    const random = seededRandom(1);
    const sink = new Sink({ endpoint, service: 'front', instance: 'front-0', random, toEpochMs: (ms) => performance.timeOrigin + ms });
    let trace = '';
    return {
      span: (i, start, end) => {
        if (i % 4 === 0) trace = newTraceId(random);
        sink.record({ traceId: trace, spanId: sink.newSpanId(), parentSpanId: i % 4 === 0 ? null : sink.newSpanId(), name: 'attempt 2 store-1', kind: 'client', start, end, error: false, attributes: ATTRIBUTES });
      },
      close: () => sink.shutdown(),
      dropped: () => sink.stats().spans_dropped,
    };
  }
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = endpoint;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = v === 'sdk-node-json' || v === 'sdk-node-b128' ? 'http/json' : 'http/protobuf';
  if (v === 'sdk-node-b128') {
    process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = '128';
    process.env.OTEL_BSP_SCHEDULE_DELAY = '500';
  }
  if (v === 'harness') return harness();
  process.env.OTEL_SERVICE_NAME = 'front';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const api = await import('@opentelemetry/api');
  // Traces only, no instrumentation: what meshproof would set up in a sidecar.
  const sdk = new NodeSDK({ metricReaders: [], logRecordProcessors: [], instrumentations: [] });
  sdk.start();
  const tracer = api.trace.getTracer('meshproof-sidecar');
  let parent = api.ROOT_CONTEXT;
  let dropped = 0;
  // The batch processor drops silently when its queue is full; its diag message says how many.
  api.diag.setLogger({ error: () => {}, warn: (m: string) => void (dropped += Number(/Dropped (\d+) spans/.exec(m)?.[1] ?? 0)), info: () => {}, debug: () => {}, verbose: () => {} }, api.DiagLogLevel.WARN);
  return {
    span: (i, start, end) => {
      const s = tracer.startSpan('attempt 2 store-1', { kind: api.SpanKind.CLIENT, startTime: performance.timeOrigin + start, attributes: ATTRIBUTES }, i % 4 === 0 ? api.ROOT_CONTEXT : parent);
      if (i % 4 === 0) parent = api.trace.setSpan(api.ROOT_CONTEXT, s);
      s.end(performance.timeOrigin + end);
    },
    close: () => sdk.shutdown(),
    dropped: () => dropped,
  };
}

/** The harness sending sidecar spans on: receiver-shaped exports, converted and exported through the SDK. */
async function harness(): Promise<Maker> {
  const { SdkTraceExport } = await import('../src/trace/sdk-trace-export.ts');
  const { otelSettingsFromEnv } = await import('../src/trace/otel-settings.ts');
  const { OtlpSpanSink } = await import('../src/trace/otlp-span-sink.ts');
  const { seededRandom } = await import('../src/util/random.ts');
  const { newTraceId } = await import('../src/contract/trace-context.ts');
  // The exports a sidecar would send, captured from its own sink by a local receiver.
  const { TraceReceiver } = await import('../src/trace/receiver.ts');
  const { TraceStore } = await import('../src/trace/trace-store.ts');
  const requests: import('../src/trace/otlp-request.ts').OtlpTraceRequest[] = [];
  const capture = new TraceReceiver({ store: new TraceStore({ maxSpans: 0 }), onExport: (r) => void requests.push(r) });
  await capture.start();
  const random = seededRandom(2);
  const sink = new OtlpSpanSink({ endpoint: capture.tracesUrl, service: 'front', instance: 'front-0', random, toEpochMs: (ms) => performance.timeOrigin + ms, maxQueueSize: 1e9, scheduledDelayMs: 60_000 });
  const needed = total + Math.round(total / 10) + 128;
  for (let i = 0; i < needed; i++) {
    const now = performance.now();
    sink.record({ traceId: newTraceId(random), spanId: sink.newSpanId(), parentSpanId: null, name: 'attempt 2 store-1', kind: 'client', start: now - 2, end: now, error: false, attributes: ATTRIBUTES });
  }
  await sink.shutdown();
  await capture.close();
  const exporter = SdkTraceExport.start(otelSettingsFromEnv(), { resource: { 'service.name': 'meshproof' } });
  let next = 0;
  return {
    span: (i) => {
      if (i % 128 === 127 && next < requests.length) exporter.exportReceived(requests[next++]);
    },
    close: () => exporter.shutdown(30_000),
    dropped: () => exporter.stats().dropped,
  };
}

// Warm up (JIT, connections) with a tenth of the spans, then measure.
await pace(Math.round(total / 10));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await pace(total);
await maker.close();
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;

process.send!({
  type: 'result',
  variant,
  spans: total,
  cpuUs: cpu.user + cpu.system,
  wallMs,
  setupMs,
  rssSetupMb: (rssAfterSetup - rssBefore) / 1e6,
  rssEndMb: process.memoryUsage().rss / 1e6,
  dropped: maker.dropped(),
  load1: loadavg()[0],
});
process.disconnect();

/** Makes `n` spans at `rate` a second, in 10 ms ticks, as requests finishing through a sidecar would. */
function pace(n: number): Promise<void> {
  return new Promise((resolve) => {
    let made = 0;
    const perTick = Math.max(1, Math.round(rate / 100));
    const timer = setInterval(() => {
      const now = performance.now();
      for (let k = 0; k < perTick && made < n; k++, made++) maker.span(made, now - 2, now);
      if (made >= n) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
}

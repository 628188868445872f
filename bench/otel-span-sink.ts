import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  TraceIdRatioBasedSampler,
  type IdGenerator,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { FinishedSpan, SpanSink, TracingStats } from '../src/contract/span-sink.ts';
import { newSpanId, newTraceId } from '../src/contract/trace-context.ts';
import type { OtlpSpanSinkOptions } from '../src/trace/otlp-span-sink.ts';
import type { Random } from '../src/util/random.ts';
import { RateLimitingSampler } from './rate-limiting-sampler.ts';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

/** The options of the sidecars' own sink (src/trace/otlp-span-sink.ts), which this one is the SDK-based reference for: the same settings, the same defaults. */
export type OtelSpanSinkOptions = Omit<OtlpSpanSinkOptions, 'now'>;

/**
A SpanSink backed by the OpenTelemetry SDK: spans are made with the SDK's tracer (ids from the
sidecar's seeded stream, times from its clock), batched by its BatchSpanProcessor and sent by the
OTLP/HTTP (JSON) exporter. The queue is bounded here, in front of the batch processor, so a drop
is counted (the SDK only logs it).
*/
export class OtelSpanSink implements SpanSink {
  private readonly tracer: Tracer;
  private readonly provider: BasicTracerProvider;
  private readonly ids: SlotIdGenerator;
  private readonly rootSampler: RateLimitingSampler;
  private readonly random: Random;
  private readonly toEpochMs: (clockMs: number) => number;
  private readonly processor: BoundedProcessor;

  constructor(options: OtelSpanSinkOptions) {
    this.random = options.random;
    this.toEpochMs = options.toEpochMs;
    const ratio = options.sampleRatio ?? 1;
    const byId: Sampler = ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio);
    this.rootSampler = new RateLimitingSampler(byId, options.maxTracesPerSecond ?? 0);
    this.ids = new SlotIdGenerator(options.random);
    const timeoutMs = options.exportTimeoutMs ?? 3000;
    const maxQueue = options.maxQueueSize ?? 2048;
    const batchSize = options.maxExportBatchSize ?? 128;
    // A flush exports the whole queue at once, a batch per request: the exporter must take them all.
    const concurrencyLimit = Math.ceil(maxQueue / batchSize) + 1;
    // This hop is meshproof's own (sidecar → harness on loopback): the OTEL_* variables a user sets
    // for their collector must not change it, so what the exporter would take from them is given here.
    const exporter = new CountingExporter(new OTLPTraceExporter({ url: options.endpoint, headers: options.headers, timeoutMillis: timeoutMs, concurrencyLimit, compression: 'none' as ExporterConfig['compression'] }));
    const batch = new BatchSpanProcessor(exporter, {
      // Larger than ours: the SDK's own (uncounted) drop never happens.
      maxQueueSize: maxQueue + 1,
      maxExportBatchSize: batchSize,
      scheduledDelayMillis: options.scheduledDelayMs ?? 500,
      exportTimeoutMillis: timeoutMs,
    });
    this.processor = new BoundedProcessor(batch, exporter, maxQueue);
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.service, 'service.instance.id': options.instance, 'service.namespace': 'meshproof' }),
      idGenerator: this.ids,
      // Sampling is decided where the trace starts (sampleRoot) and carried by traceparent; a span
      // that reaches record() is one to keep.
      sampler: new AlwaysOnSampler(),
      spanProcessors: [this.processor],
    });
    this.tracer = this.provider.getTracer('meshproof-sidecar');
  }

  sampleRoot(traceId: string): boolean {
    return this.rootSampler.sample(traceId);
  }

  newSpanId(): string {
    return newSpanId(this.random);
  }

  record(s: FinishedSpan): void {
    try {
      let ctx: Context = ROOT_CONTEXT;
      if (s.parentSpanId !== null) ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
      else this.ids.nextTraceId = s.traceId;
      this.ids.nextSpanId = s.spanId;
      const span = this.tracer.startSpan(s.name, { kind: s.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, startTime: this.toEpochMs(s.start), attributes: s.attributes }, ctx);
      if (s.error) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(this.toEpochMs(s.end));
    } catch {
      // Telemetry never breaks a request: a span that cannot be made is lost, and counted.
      this.processor.dropped++;
    } finally {
      this.ids.nextTraceId = null;
      this.ids.nextSpanId = null;
    }
  }

  stats(): TracingStats {
    const p = this.processor;
    return {
      spans_recorded: p.recorded,
      spans_dropped: p.dropped,
      spans_exported: p.exporter.exported,
      spans_export_failed: p.exporter.failed,
      traces_rate_limited: this.rootSampler.limited,
    };
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}

/** Hands the SDK the ids the sidecar already chose (they are in `traceparent` headers before the span is made). */
class SlotIdGenerator implements IdGenerator {
  nextTraceId: string | null = null;
  nextSpanId: string | null = null;
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  generateTraceId(): string {
    return this.nextTraceId ?? newTraceId(this.random);
  }

  generateSpanId(): string {
    return this.nextSpanId ?? newSpanId(this.random);
  }
}

/** Counts what the batch processor hands to the exporter and how the exports end. */
class CountingExporter implements SpanExporter {
  handed = 0;
  exported = 0;
  failed = 0;
  private readonly inner: SpanExporter;

  constructor(inner: SpanExporter) {
    this.inner = inner;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const n = spans.length;
    this.handed += n;
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.exported += n;
      else this.failed += n;
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The batch processor behind a counted bound: spans queued = recorded − handed to the exporter. */
class BoundedProcessor implements SpanProcessor {
  recorded = 0;
  dropped = 0;
  readonly exporter: CountingExporter;
  private readonly inner: SpanProcessor;
  private readonly max: number;

  constructor(inner: SpanProcessor, exporter: CountingExporter, max: number) {
    this.inner = inner;
    this.exporter = exporter;
    this.max = max;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.recorded - this.exporter.handed >= this.max) {
      this.dropped++;
      return;
    }
    this.recorded++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

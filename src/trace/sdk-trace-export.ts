import { context, propagation, ProxyTracerProvider, trace, type Context, type Tracer } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { OtlpTraceRequest } from './otlp-request.ts';
import { OtlpToReadableSpans } from './otlp-to-readable-spans.ts';
import { describeExporter, type OtelSettings, type TraceExporterChoice } from './otel-settings.ts';

/** What the exporters did with the spans handed to them (the sidecars' and the harness's own). */
export interface SdkExportStats {
  /** The exporters, one line each (`otlp (grpc) http://…`). */
  exporters: string[];
  /** Spans handed to the exporters' span processors (once per exporter). */
  offered: number;
  /** Spans the exporters sent with success. */
  exported: number;
  /** Spans in exports that failed (collector down, refused, timed out). */
  failed: number;
  /** Spans never exported: the processor's queue was full, or the run ended before they went. */
  dropped: number;
}

export interface SdkTraceExportOptions {
  /** The harness's resource before the SDK's detectors (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, process, host) add to it and win. */
  resource: Record<string, string>;
}

/**
The harness's OpenTelemetry SDK: a NodeSDK configured from the standard environment variables (the
sampler, the resource, span limits, the log level), with one span processor per exporter
OTEL_TRACES_EXPORTER names, each exporter built by its package from its own variables (endpoint,
headers, compression, timeout, certificates). Two kinds of spans go through it:
- the harness's own (the run, its phases, faults, verdicts: RunSpans), made with `tracer`;
- the sidecars' spans as the receiver got them (`exportReceived`), handed to the same processors
  with their own resources and ids, so every protocol the SDK speaks (gRPC too) carries them.

Loaded only when an exporter is configured. It registers the OpenTelemetry API globals for the run
(NodeSDK always does) and unregisters them at shutdown, unless the process had its own already.
*/
export class SdkTraceExport {
  readonly tracer: Tracer;
  private readonly sdk: NodeSDK;
  private readonly processors: CountedProcessor[];
  private readonly converter = new OtlpToReadableSpans();
  private readonly exporterNames: string[];
  private readonly ownsGlobals: boolean;
  private stopped: Promise<void> | null = null;

  private constructor(sdk: NodeSDK, processors: CountedProcessor[], exporterNames: string[], ownsGlobals: boolean, tracer: Tracer) {
    this.sdk = sdk;
    this.processors = processors;
    this.exporterNames = exporterNames;
    this.ownsGlobals = ownsGlobals;
    this.tracer = tracer;
  }

  /** Builds the exporters and starts the SDK. Throws when an exporter cannot be built (a certificate file that cannot be read, …). */
  static start(settings: OtelSettings, options: SdkTraceExportOptions): SdkTraceExport {
    const processors = settings.exporters.map((choice) => {
      const exporter = new CountingExporter(exporterFor(choice));
      // As the SDK does: console prints each span as it ends, the others batch (OTEL_BSP_*).
      return new CountedProcessor(choice.kind === 'console' ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, ...batchSettingsFromEnv() }), exporter);
    });
    const before = globalTracerProvider();
    const sdk = new NodeSDK({
      resource: defaultResource().merge(resourceFromAttributes(options.resource)),
      spanProcessors: processors,
      // Traces only: no metrics or logs exporters (NodeSDK would otherwise set up OTLP ones by default).
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
    });
    sdk.start();
    const ownsGlobals = globalTracerProvider() !== before;
    return new SdkTraceExport(sdk, processors, settings.exporters.map(describeExporter), ownsGlobals, trace.getTracer('meshproof'));
  }

  /** Sends on the spans of one export the receiver accepted. Never throws: a span that cannot be converted is skipped. */
  exportReceived(request: OtlpTraceRequest): void {
    if (this.stopped) return;
    let spans: ReadableSpan[];
    try {
      spans = this.converter.convert(request);
    } catch {
      return;
    }
    for (const p of this.processors) for (const s of spans) p.onEnd(s);
  }

  stats(): SdkExportStats {
    const s: SdkExportStats = { exporters: this.exporterNames, offered: 0, exported: 0, failed: 0, dropped: 0 };
    for (const p of this.processors) {
      s.offered += p.offered;
      s.exported += p.exporter.exported;
      s.failed += p.exporter.failed;
      // Whatever was neither sent nor refused is still queued, or was dropped by the processor.
      s.dropped += Math.max(0, p.offered - p.exporter.exported - p.exporter.failed);
    }
    return s;
  }

  /**
  Exports what is still queued and stops, waiting at most `timeoutMs` for a slow collector (what
  has not gone by then counts as dropped). Once `signal` has aborted (the run was interrupted), at
  most `INTERRUPTED_FLUSH_MS` more: an interrupted run still sends what it has, but soon. Idempotent.
  */
  shutdown(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.stopped ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let cap: (() => void) | undefined;
      // Flushed first: the SDK's shutdown does not wait for a console export still waiting on the
      // resource's detectors (host.id is read asynchronously).
      const flushAndStop = async () => {
        await Promise.all(this.processors.map((p) => p.forceFlush().catch(() => undefined)));
        await this.sdk.shutdown().catch(() => undefined);
      };
      await Promise.race([
        flushAndStop(),
        new Promise<void>((resolve) => {
          const started = performance.now();
          timer = setTimeout(resolve, timeoutMs);
          cap = () => {
            clearTimeout(timer);
            timer = setTimeout(resolve, Math.min(INTERRUPTED_FLUSH_MS, Math.max(0, timeoutMs - (performance.now() - started))));
          };
          if (signal?.aborted) cap();
          else signal?.addEventListener('abort', cap, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (cap) signal?.removeEventListener('abort', cap);
      if (this.ownsGlobals) {
        trace.disable();
        context.disable();
        propagation.disable();
        logs.disable();
      }
    })();
    return this.stopped;
  }
}

/** How long the last flush may still take once the run has been interrupted. */
const INTERRUPTED_FLUSH_MS = 2000;

/** The provider behind the API's global proxy (the no-op one when nothing is registered). */
function globalTracerProvider(): unknown {
  const p = trace.getTracerProvider();
  return p instanceof ProxyTracerProvider ? p.getDelegate() : p;
}

function exporterFor(choice: TraceExporterChoice): SpanExporter {
  // No arguments: each exporter reads its endpoint, headers, compression, timeout and certificates
  // from the environment, as the spec says.
  if (choice.kind === 'console') return new ConsoleSpanExporter();
  if (choice.kind === 'zipkin') return new ZipkinExporter();
  if (choice.protocol === 'grpc') return new OtlpGrpcExporter();
  if (choice.protocol === 'http/json') return new OtlpJsonExporter();
  return new OtlpProtoExporter();
}

/** OTEL_BSP_* as the SDK reads them: a non-negative number, else the processor's default. */
function batchSettingsFromEnv(): { maxQueueSize?: number; scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxExportBatchSize?: number } {
  const num = (name: string) => {
    const raw = process.env[name]?.trim();
    const n = raw ? Number(raw) : NaN;
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  return {
    maxQueueSize: num('OTEL_BSP_MAX_QUEUE_SIZE'),
    scheduledDelayMillis: num('OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: num('OTEL_BSP_EXPORT_TIMEOUT'),
    maxExportBatchSize: num('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
  };
}

/** Counts how the exports of the exporter it wraps end. */
class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  private readonly inner: SpanExporter;

  constructor(inner: SpanExporter) {
    this.inner = inner;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const n = spans.length;
    try {
      this.inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.exported += n;
        else this.failed += n;
        done(result);
      });
    } catch (error) {
      this.failed += n;
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Counts the sampled spans handed to the processor it wraps (those it will try to export). */
class CountedProcessor implements SpanProcessor {
  offered = 0;
  readonly exporter: CountingExporter;
  private readonly inner: SpanProcessor;

  constructor(inner: SpanProcessor, exporter: CountingExporter) {
    this.inner = inner;
    this.exporter = exporter;
  }

  onStart(span: Span, parent: Context): void {
    this.inner.onStart(span, parent);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 1) this.offered++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

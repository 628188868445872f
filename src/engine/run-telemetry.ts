import { MeshproofError } from '../errors.ts';
import type { RunEvent } from '../events.ts';
import type { OtlpTraceRequest } from '../trace/otlp-request.ts';
import type { OtelSettings } from '../trace/otel-settings.ts';
import type { SdkExportStats } from '../trace/sdk-trace-export.ts';
import type { RunPhase, RunSpanInfo } from './run-spans.ts';

/** A run's export to the user's collector: the run's own spans and the sidecars' spans, through the OpenTelemetry SDK. */
export interface RunTelemetry {
  /** The engine's events, for the run's spans. */
  onEvent(e: RunEvent): void;
  /** Marks a step no event marks (teardown, verdicts). */
  phase(name: RunPhase): void;
  /** An export the receiver accepted from the sidecars, to send on as it came. */
  exportReceived(request: OtlpTraceRequest): void;
  /**
  Ends the run's spans with its outcome and flushes the export, waiting at most the exporter's
  timeout for a slow collector, and no longer once `signal` aborts (a second Ctrl-C). Idempotent;
  never throws.
  */
  finish(outcome: { passed: boolean; error: string | null }, signal?: AbortSignal): Promise<void>;
  stats(): SdkExportStats;
}

/**
Starts the OpenTelemetry SDK for a run when the OTEL_* variables name somewhere to send spans
(null otherwise: then nothing of the SDK is loaded). The SDK's modules load here, on demand
(≈0.3 s and 35 MB, docs/traces.md). A failure to set it up is a usage error: nothing has started.
*/
export async function startRunTelemetry(settings: OtelSettings, info: RunSpanInfo & { version: string }): Promise<RunTelemetry | null> {
  if (settings.disabled || settings.exporters.length === 0) return null;
  let exporter: import('../trace/sdk-trace-export.ts').SdkTraceExport;
  let spans: import('./run-spans.ts').RunSpans;
  try {
    const [{ SdkTraceExport }, { RunSpans }] = await Promise.all([import('../trace/sdk-trace-export.ts'), import('./run-spans.ts')]);
    exporter = SdkTraceExport.start(settings, { resource: { 'service.name': 'meshproof', 'service.namespace': 'meshproof', 'service.version': info.version } });
    spans = new RunSpans(exporter.tracer, info);
  } catch (err) {
    throw new MeshproofError('MESHPROOF_USAGE', `the OpenTelemetry SDK could not be set up from the OTEL_* variables: ${(err as Error).message}`, { cause: err });
  }
  const timeoutMs = exportTimeoutMs();
  return {
    onEvent: (e) => spans.onEvent(e),
    phase: (name) => spans.phase(name),
    exportReceived: (request) => exporter.exportReceived(request),
    finish: async (outcome, signal) => {
      spans.finish(outcome);
      await exporter.shutdown(timeoutMs, signal);
    },
    stats: () => exporter.stats(),
  };
}

/** How long the last flush may wait: one export's timeout as the exporters read it (10 s by default), plus a margin. */
function exportTimeoutMs(): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const n = Number(process.env[name]?.trim() || NaN);
    if (Number.isFinite(n) && n > 0) return n + 500;
  }
  return 10_500;
}

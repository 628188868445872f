import { describe, it, vi, type TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { ProxyTracerProvider, SpanKind, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { otelSettingsFromEnv } from '../../src/trace/otel-settings.ts';
import type { OtlpTraceRequest } from '../../src/trace/otlp-request.ts';
import { SdkTraceExport } from '../../src/trace/sdk-trace-export.ts';
import { startHttpCollector } from './collector-stubs.ts';

/** An export as a sidecar sends it: `n` spans from the SDK, serialised to OTLP/JSON. */
function sidecarExport(n: number): OtlpTraceRequest {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'store', 'service.instance.id': 'store-0' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  for (let i = 0; i < n; i++) provider.getTracer('meshproof-sidecar').startSpan(`inbound store-0 #${i}`, { kind: SpanKind.SERVER }).end();
  return JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())!)) as OtlpTraceRequest;
}

function env(t: TestContext, vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
  t.onTestFinished(() => {
    vi.unstubAllEnvs();
  });
}

function start(t: TestContext): SdkTraceExport {
  const sdk = SdkTraceExport.start(otelSettingsFromEnv(), { resource: { 'service.name': 'meshproof' } });
  t.onTestFinished(() => sdk.shutdown(1000));
  return sdk;
}

function delegate(): unknown {
  return (trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
}

describe('the harness\'s OpenTelemetry SDK', () => {
  it('a collector that refuses connections costs the run a count, and the final flush waits no longer than the exporter\'s timeout (OTEL_EXPORTER_OTLP_TIMEOUT)', async (t) => {
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    // The exporter retries a refused connection with back-off until its timeout.
    env(t, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    const sdk = start(t);
    sdk.exportReceived(sidecarExport(5));
    const began = performance.now();
    await sdk.shutdown(10_000);
    const took = performance.now() - began;
    assert.ok(took < 3000, `shutdown took ${Math.round(took)} ms`);
    const s = sdk.stats();
    assert.deepEqual([s.offered, s.exported, s.failed, s.dropped], [5, 0, 5, 0]);
  });

  it('a collector that never answers: the last flush gives up after the timeout it was given; what did not go counts as not sent', async (t) => {
    const sockets = new Set<Socket>();
    const hole = createTcpServer((s) => sockets.add(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => {
      for (const s of sockets) s.destroy();
      hole.close();
    });
    env(t, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(hole.address() as { port: number }).port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '30000' });
    const sdk = start(t);
    sdk.exportReceived(sidecarExport(3));
    const began = performance.now();
    await sdk.shutdown(500);
    const took = performance.now() - began;
    assert.ok(took >= 450 && took < 3000, `shutdown took ${Math.round(took)} ms`);
    const s = sdk.stats();
    assert.equal(s.exported, 0);
    assert.equal(s.failed + s.dropped, 3);
  });

  it('an interrupted run still flushes, but for 2 s at most, whatever the exporter\'s timeout', async (t) => {
    const sockets = new Set<Socket>();
    const hole = createTcpServer((s) => sockets.add(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => {
      for (const s of sockets) s.destroy();
      hole.close();
    });
    env(t, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(hole.address() as { port: number }).port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '30000' });
    const sdk = start(t);
    sdk.exportReceived(sidecarExport(3));
    const interrupt = new AbortController();
    const began = performance.now();
    const stopping = sdk.shutdown(30_000, interrupt.signal);
    setTimeout(() => interrupt.abort(), 200);
    await stopping;
    const took = performance.now() - began;
    assert.ok(took >= 2000 && took < 5000, `shutdown took ${Math.round(took)} ms: the interruption at 200 ms, then 2 s`);
    assert.equal(sdk.stats().exported, 0);
  });

  it('registers the OpenTelemetry API globals for the run and gives them back at shutdown, so the next run can register again; a provider the process had is left alone', async (t) => {
    const collector = await startHttpCollector();
    t.onTestFinished(() => collector.close());
    env(t, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    const before = delegate();
    for (const run of ['first', 'second']) {
      const sdk = start(t);
      assert.notEqual(delegate(), before, `${run}: the SDK's provider is the global one`);
      sdk.tracer.startSpan(`${run} run`).end();
      await sdk.shutdown(5000);
      assert.equal(delegate(), before, `${run}: unregistered`);
    }
    assert.deepEqual(collector.spans().map((s) => s.name), ['first run', 'second run']);

    const host = new TracerProvider();
    trace.setGlobalTracerProvider(host);
    t.onTestFinished(() => trace.disable());
    const sdk = start(t);
    await sdk.shutdown(1000);
    assert.equal(delegate(), host, "the host program's provider is still registered");
  });

  it('OTEL_TRACES_EXPORTER=console prints each span as it ends (the SDK\'s console exporter, on stdout)', async (t) => {
    env(t, { OTEL_TRACES_EXPORTER: 'console' });
    const printed: unknown[] = [];
    const spy = vi.spyOn(console, 'dir').mockImplementation((o) => void printed.push(o));
    t.onTestFinished(() => spy.mockRestore());
    const sdk = start(t);
    sdk.exportReceived(sidecarExport(2));
    await sdk.shutdown(1000);
    assert.deepEqual(printed.map((p) => (p as { name: string }).name), ['inbound store-0 #0', 'inbound store-0 #1']);
    assert.equal((printed[0] as { resource: { attributes: Record<string, unknown> } }).resource.attributes['service.name'], 'store');
    assert.deepEqual(sdk.stats(), { exporters: ['console (stdout)'], offered: 2, exported: 2, failed: 0, dropped: 0 });
  });
});

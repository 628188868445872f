import { afterAll, describe, it, type TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import type { RunResult } from '../../src/report/run-result.ts';
import type { OtlpKeyValue } from '../../src/trace/otlp-request.ts';
import { spanRole, type SpanRecord } from '../../src/trace/span-model.ts';
import { runCli } from '../helpers/cli.ts';
import { startGrpcCollector, startHttpCollector, type CollectorStub } from './collector-stubs.ts';

/**
The standard OTEL_* variables, end to end: the real CLI runs a shipped scenario (a replica killed
and restarted, so the run has a fault) for 2 s with real sidecar processes, and real collectors on
loopback (OTLP/HTTP protobuf and JSON, OTLP/gRPC) receive what the OpenTelemetry SDK sends.
*/
const SCENARIO = 'scenarios/failover-when-an-instance-is-killed.yaml';

/** Every variable these tests touch, blank (= unset for meshproof and the SDK), so the caller's environment cannot leak in. */
const CLEAN: Record<string, string> = Object.fromEntries(
  [
    'OTEL_SDK_DISABLED',
    'OTEL_TRACES_EXPORTER',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_SERVICE_NAME',
    'OTEL_RESOURCE_ATTRIBUTES',
  ].map((k) => [k, '']),
);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stderr: string;
  result: RunResult;
  /** traces.json's spans: what the sidecars recorded. */
  recorded: SpanRecord[];
}

async function run(env: Record<string, string>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-otel-'));
  dirs.push(dir);
  const out = await runCli(['run', SCENARIO, '--duration', '2s', '--plain', '--reports', dir], { env: { ...CLEAN, ...env }, timeoutMs: 120_000 });
  // Any verdict (3: inconclusive on a busy machine): what is judged here is what was exported.
  assert.ok(out.code === 0 || out.code === 1 || out.code === 3, `exit ${out.code}\n${out.stdout}\n${out.stderr}`);
  const [folder] = readdirSync(dir);
  const result = JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
  assert.equal(result.error, null);
  const recorded = (JSON.parse(readFileSync(join(dir, folder, 'traces.json'), 'utf8')) as { spans: SpanRecord[] }).spans;
  return { code: out.code, stderr: out.stderr, result, recorded };
}

async function collector(kind: 'http' | 'grpc', t: TestContext): Promise<CollectorStub> {
  const c = kind === 'http' ? await startHttpCollector() : await startGrpcCollector();
  t.onTestFinished(() => c.close());
  return c;
}

const byId = (a: SpanRecord, b: SpanRecord) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

function attrs(kvs: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, kv.value?.stringValue ?? kv.value?.intValue ?? kv.value?.boolValue ?? kv.value?.doubleValue]));
}

/** The sidecars' spans arrived as they were recorded: same ids, parents, names, times, attributes, statuses, each under its own sidecar's resource. */
function assertSidecarSpansIntact(c: CollectorStub, r: Run): void {
  const sent = c.spans().filter((s) => spanRole(s) !== null);
  assert.ok(r.recorded.length > 0, 'the run recorded spans');
  assert.deepEqual(sent.sort(byId), [...r.recorded].sort(byId), 'every span of traces.json, unchanged');
  let resources = 0;
  for (const e of c.exports) {
    for (const rs of e.request.resourceSpans ?? []) {
      const spans = (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []);
      const a = attrs(rs.resource?.attributes);
      if (!spans.some((s) => (s.attributes ?? []).some((kv) => kv.key === 'meshproof.role'))) continue;
      resources++;
      // The sidecar's own resource, exactly: not the harness's, nothing merged in.
      assert.deepEqual(Object.keys(a).sort(), ['service.instance.id', 'service.name', 'service.namespace'], JSON.stringify(a));
      assert.equal(a['service.namespace'], 'meshproof');
      assert.deepEqual((rs.scopeSpans ?? []).map((ss) => ss.scope?.name), ['meshproof-sidecar']);
      for (const s of spans) assert.ok((s.attributes ?? []).some((kv) => kv.key === 'meshproof.role'), 'no harness span under a sidecar resource');
    }
  }
  assert.ok(resources > 0);
}

/** The harness's own spans: the run, its phases, the fault as applied, a span per verdict. */
function assertRunSpans(c: CollectorStub, r: Run, serviceName: string): void {
  const mine = c.spans().filter((s) => s.service === serviceName);
  const root = mine.find((s) => s.parentSpanId === null);
  assert.ok(root, `a root span from ${serviceName}: ${mine.map((s) => s.name).join(', ')}`);
  assert.equal(root.name, 'meshproof run failover-when-an-instance-is-killed');
  assert.equal(root.kind, 'internal');
  assert.equal(root.attributes['meshproof.run.id'], r.result.runId);
  assert.equal(root.attributes['meshproof.passed'], r.result.passed);
  assert.equal(root.error, !r.result.passed);
  const children = mine.filter((s) => s.parentSpanId === root.spanId);
  const phase = (name: string) => {
    const p = children.find((s) => s.name === name);
    assert.ok(p, `phase ${name} under the run: ${children.map((s) => s.name).join(', ')}`);
    assert.equal(p.traceId, root.traceId);
    return p;
  };
  const [up, warm, load, down, verdicts] = ['topology start', 'warm-up', 'load', 'teardown', 'verdicts'].map(phase);
  // In order, each after the one before.
  for (const [a, b] of [[up, warm], [warm, load], [load, down], [down, verdicts]]) assert.ok(b.startMs >= a.startMs + a.durationMs - 1, `${b.name} starts after ${a.name} ends`);
  const t0 = r.result.timeline.t0;
  assert.equal(load.startMs, t0, 'the load span starts at second 0');
  assert.equal(load.attributes['meshproof.load.requests'], r.result.load.requests);

  const fault = r.result.faults.find((f) => f.name === 'p0-crash')!;
  const faultSpan = children.find((s) => s.name === 'fault p0-crash');
  assert.ok(faultSpan, 'the fault as a span under the run');
  assert.ok(Math.abs(faultSpan.startMs - (t0 + fault.startedMs!)) < 1, 'from the moment it was applied');
  assert.ok(Math.abs(faultSpan.startMs + faultSpan.durationMs - (t0 + fault.endedMs!)) < 1, 'to its end');

  const expectations = mine.filter((s) => s.parentSpanId === verdicts.spanId);
  assert.equal(expectations.length, r.result.verdicts.length);
  for (const v of r.result.verdicts) {
    const s = expectations.find((x) => x.name === `expect ${v.expectation.text}`);
    assert.ok(s, v.expectation.text);
    assert.equal(s.attributes['meshproof.verdict'], v.status);
    assert.equal(s.error, v.status !== 'held');
  }
}

describe('export to the user\'s collector through the OpenTelemetry SDK (OTEL_* variables)', () => {
  it('OTLP/HTTP protobuf (the default protocol): the sidecars\' spans as recorded, the run\'s own spans under OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS on every request', async (t) => {
    const c = await collector('http', t);
    const r = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret,x-team=mesh%20proof',
      OTEL_SERVICE_NAME: 'ci-harness',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci',
    });
    assert.ok(c.exports.length > 0);
    for (const e of c.exports) {
      assert.equal(e.path, '/v1/traces');
      assert.equal(e.contentType, 'application/x-protobuf');
      assert.equal(e.headers['x-api-key'], 's3cret');
      assert.equal(e.headers['x-team'], 'mesh proof');
    }
    assertSidecarSpansIntact(c, r);
    assertRunSpans(c, r, 'ci-harness');
    const harness = c.exports.flatMap((e) => e.request.resourceSpans ?? []).find((rs) => attrs(rs.resource?.attributes)['service.name'] === 'ci-harness')!;
    const ra = attrs(harness.resource?.attributes);
    assert.equal(ra['deployment.environment'], 'ci', 'OTEL_RESOURCE_ATTRIBUTES on the harness resource');
    assert.equal(ra['telemetry.sdk.language'], 'nodejs');
    // result.json counts what was sent, in spans: the sidecars' and the run's.
    assert.deepEqual(r.result.traces!.forward, { url: `otlp (http/protobuf) ${c.url}/v1/traces`, forwarded: c.spans().length, failed: 0, dropped: 0 });
  });

  it('OTLP/gRPC: the same spans arrive over gRPC, the headers as call metadata', async (t) => {
    const c = await collector('grpc', t);
    const r = await run({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: c.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret' });
    assert.ok(c.exports.length > 0);
    for (const e of c.exports) assert.equal(e.headers['x-api-key'], 's3cret');
    assertSidecarSpansIntact(c, r);
    assertRunSpans(c, r, 'meshproof');
    assert.equal(r.result.traces!.forward!.url, `otlp (grpc) ${c.url}`);
    assert.equal(r.result.traces!.forward!.forwarded, c.spans().length);
  });

  it('OTLP/HTTP JSON to a signal-specific endpoint; OTEL_TRACES_SAMPLER=traceidratio: the ingress starts a trace for the ids the ratio keeps, no others', async (t) => {
    const c = await collector('http', t);
    const r = await run({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${c.url}/custom/traces`,
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    for (const e of c.exports) {
      assert.equal(e.path, '/custom/traces');
      assert.equal(e.contentType, 'application/json');
    }
    assertSidecarSpansIntact(c, r);
    const sampler = new TraceIdRatioBasedSampler(0.25);
    const traces = new Set(r.recorded.map((s) => s.traceId));
    for (const id of traces) assert.equal(sampler.shouldSample(ROOT_CONTEXT, id).decision, SamplingDecision.RECORD_AND_SAMPLED, `trace ${id} is one the ratio keeps`);
    // About a quarter of the requests (warm-up included) are traced: far fewer than the measured ones alone.
    assert.ok(traces.size > 0 && traces.size < r.result.load.requests * 0.6, `${traces.size} traces for ${r.result.load.requests} measured requests`);
  });

  it('OTEL_TRACES_SAMPLER=always_off: nothing is recorded or sent — no request traces, no run spans', async (t) => {
    const c = await collector('http', t);
    const r = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: c.url, OTEL_TRACES_SAMPLER: 'always_off' });
    assert.ok(r.result.load.requests > 0);
    assert.equal(r.recorded.length, 0);
    assert.equal(c.exports.length, 0);
    assert.deepEqual(r.result.traces!.forward, { url: `otlp (http/protobuf) ${c.url}/v1/traces`, forwarded: 0, failed: 0, dropped: 0 });
  });

  it('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true send nothing; traces.json is recorded as always (the disabled SDK ignores the sampler too)', async (t) => {
    const c = await collector('http', t);
    const none = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: c.url, OTEL_TRACES_EXPORTER: 'none' });
    const disabled = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: c.url, OTEL_SDK_DISABLED: 'true', OTEL_TRACES_SAMPLER: 'always_off' });
    assert.equal(c.exports.length, 0);
    for (const r of [none, disabled]) {
      assert.equal(r.result.traces!.forward, null);
      assert.ok(new Set(r.recorded.map((s) => s.traceId)).size >= r.result.load.requests, 'every request traced, as without any OTEL_* variable');
    }
  });

  it('a value the SDK would ignore is a usage error before anything starts (exit 2, naming the variable and what is valid)', async () => {
    for (const [env, message] of [
      [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER: unknown exporter "jaeger"; valid: otlp, console, zipkin, none/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, /OTEL_EXPORTER_OTLP_PROTOCOL: unknown protocol "http"; valid: http\/protobuf, http\/json, grpc/],
      [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '25%' }, /OTEL_TRACES_SAMPLER_ARG: "25%" is not a ratio for traceidratio; give a number from 0 to 1/],
    ] as const) {
      const out = await runCli(['run', SCENARIO, '--duration', '2s', '--plain', '--no-report'], { env: { ...CLEAN, ...env }, timeoutMs: 30_000 });
      assert.equal(out.code, 2, out.stderr);
      assert.match(out.stderr, message);
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../src/engine/run-scenario.ts';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { TraceReceiver } from '../../src/trace/receiver.ts';
import { ATTR, spanRole, type SpanRecord } from '../../src/trace/span-model.ts';
import type { TraceSummary } from '../../src/trace/trace-summary.ts';

/** Half of the store's answers are 503; front's sidecar retries once: about a quarter of requests still fail (URX). */
const SCENARIO = `
version: 1
name: traces-flaky-store
description: Half the store answers fail; one retry at front hides some, and the traces show every attempt.
seed: 5
duration: 2s
services:
  front: { calls: [store] }
  store:
    replicas: 2
    latency: { p50: 2ms, p99: 5ms }
    errorRate: 50%
    errorStatus: 503
mesh:
  store:
    retries: { attempts: 1, retryOn: [5xx] }
load: { target: front, rate: 100/s, connections: 5 }
expect:
  - success_rate(client) >= 50%
  - attempts(front -> store) <= 2 per request
  - attempts(front -> store) < 2 per request
`;

describe('traces of a real run (sidecar processes, OTLP export, the harness receiver)', () => {
  it('a flaky upstream: traces.json shows each retry as an attempt under its request, with numbers, statuses, flags and policies; the user collector gets the same spans', async (t) => {
    const { scenario, issues } = parseScenario(SCENARIO, 'traces-flaky-store.yaml');
    assert.deepEqual(issues, []);
    const dir = mkdtempSync(join(tmpdir(), 'meshproof-traces-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The user's collector, as OTEL_EXPORTER_OTLP_ENDPOINT names it.
    const user = new TraceReceiver();
    t.after(() => user.close());
    await user.start();
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = user.baseUrl;
    t.after(() => {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    });

    const out = await runScenario(scenario!, { runtime: new LocalRuntime(), reportsDir: dir, warmupMs: 300 });
    assert.equal(out.result.error, null);
    // Expectations over the traces: one retry at most, and some requests did need it.
    const [, atMost2, under2] = out.result.verdicts;
    assert.equal(atMost2.status, 'held', atMost2.explanation);
    assert.equal(atMost2.measured, 2);
    assert.equal(under2.status, 'failed');
    assert.match(under2.explanation, /^attempts\(front -> store\) was at most 2 attempts in one request, in trace [0-9a-f]{32} \(\d+ of \d+ traced requests on the edge retried\)/);
    const file = JSON.parse(readFileSync(join(out.reportDir!, 'traces.json'), 'utf8')) as { format: number; summary: TraceSummary; spans: SpanRecord[] };
    assert.equal(file.format, 1);
    const spans = file.spans;
    assert.ok(spans.length > 500, `spans of ~200 requests, got ${spans.length}`);
    assert.deepEqual(file.summary.loss, { sidecarDropped: {}, sidecarExportFailed: {}, storeDropped: 0, rejectedExports: 0 });

    const byTrace = new Map<string, SpanRecord[]>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    let retried = 0;
    let exhausted = 0;
    for (const [traceId, list] of byTrace) {
      const outbound = list.filter((s) => spanRole(s) === 'outbound' && s.service === 'front');
      if (outbound.length !== 1) continue;
      const o = outbound[0];
      const attempts = list.filter((s) => spanRole(s) === 'attempt' && s.service === 'front').sort((a, b) => a.startMs - b.startMs);
      assert.ok(attempts.length >= 1 && attempts.length <= 2, `${traceId}: 1 or 2 attempts (1 retry), got ${attempts.length}`);
      assert.deepEqual(attempts.map((a) => a.attributes[ATTR.attempt]), attempts.map((_, i) => i + 1), `${traceId}: attempts numbered in order`);
      assert.equal(o.attributes[ATTR.attempts], attempts.length);
      for (const a of attempts) {
        assert.equal(a.parentSpanId, o.spanId, 'each attempt hangs under the request it retries');
        assert.match(String(a.attributes[ATTR.upstreamInstance]), /^store-[01]$/);
        // The callee's inbound span is the attempt's child, in the same trace.
        const inbound = list.filter((s) => s.parentSpanId === a.spanId);
        assert.equal(inbound.length, 1, `${traceId}: the inbound span under ${a.name}`);
        assert.equal(inbound[0].instance, a.attributes[ATTR.upstreamInstance]);
        assert.equal(inbound[0].attributes[ATTR.status], a.attributes[ATTR.status]);
      }
      if (attempts.length === 2) {
        retried++;
        assert.equal(attempts[0].attributes[ATTR.status], 503, 'only a 503 is retried');
        assert.equal(attempts[0].error, true);
        assert.deepEqual(attempts[1].attributes[ATTR.policy], ['retry']);
        assert.equal(attempts[1].attributes[ATTR.resendCount], 1);
        assert.ok(attempts[1].startMs >= attempts[0].startMs + attempts[0].durationMs - 0.5, 'the retry starts after the first try ended');
        if (attempts[1].attributes[ATTR.status] === 503) {
          exhausted++;
          assert.equal(o.attributes[ATTR.flags], 'URX', 'retries exhausted: URX on the request');
          assert.deepEqual(o.attributes[ATTR.policy], ['retry', 'retry-limit']);
          assert.equal(o.error, true);
        } else assert.deepEqual(o.attributes[ATTR.policy], ['retry']);
      }
      // The whole chain: client ingress → front → store, one trace.
      const root = list.find((s) => s.parentSpanId === null);
      if (root) assert.equal(root.service, 'client');
      const app = list.find((s) => s.spanId === o.parentSpanId);
      if (app) assert.equal(spanRole(app), 'app', "front's outbound is a child of front's app span");
    }
    // Half of the requests retry and a quarter run out; loose bounds, as a loaded machine sends fewer.
    assert.ok(retried >= 10, `about half the requests retried, got ${retried}`);
    assert.ok(exhausted >= 3, `about a quarter ran out of retries, got ${exhausted}`);

    // The report: a failed trace with its retries, the slowest trace, as waterfalls.
    const failed = out.result.traces!.failed!;
    assert.equal(failed.status, 503);
    const failedAttempts = failed.rows.filter((r) => r.role === 'attempt' && r.service === 'front');
    assert.deepEqual(failedAttempts.map((r) => [r.attempt, r.status]), [[1, 503], [2, 503]]);
    assert.equal(failed.rows[0].depth, 0);
    const summary = readFileSync(join(out.reportDir!, 'summary.md'), 'utf8');
    assert.match(summary, /Slowest trace: `[0-9a-f]{32}`/);
    assert.match(summary, /A failed trace: `[0-9a-f]{32}` — [\d.]+ ms, status 503|The slowest trace is also a failed one\./);
    assert.match(summary, /attempt 2 store-[01] \(front\)/);

    // Forwarded as received: the user's collector has every span.
    assert.equal(out.result.traces!.forward!.url, user.tracesUrl);
    assert.equal(out.result.traces!.forward!.failed, 0);
    assert.equal(user.store.size, spans.length);
  });
});

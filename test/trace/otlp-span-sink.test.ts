import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { OtlpSpanSink } from '../../src/trace/otlp-span-sink.ts';
import { newTraceId } from '../../src/contract/trace-context.ts';
import { seededRandom } from '../../src/util/random.ts';
import { TraceReceiver } from '../../src/trace/receiver.ts';

/** A sink that never exports (its queue is empty), for its sampling alone. */
function sink(options: { sampleRatio?: number; maxTracesPerSecond?: number; now?: () => number }): OtlpSpanSink {
  return new OtlpSpanSink({ endpoint: 'http://127.0.0.1:9/v1/traces', service: 's', instance: 's-0', random: seededRandom(9), toEpochMs: (ms) => ms, ...options });
}

describe("the sidecar's span sink: head sampling at the ingress", () => {
  it('keeps at most maxTracesPerSecond traces a second, a second’s worth as a burst, refilled continuously', () => {
    let now = 0;
    const s = sink({ maxTracesPerSecond: 10, now: () => now });
    const random = seededRandom(1);
    let kept = 0;
    for (let i = 0; i < 50; i++) if (s.sampleRoot(newTraceId(random))) kept++;
    assert.equal(kept, 10, 'the burst');
    assert.equal(s.stats().traces_rate_limited, 40);
    // 1000 requests over the next 10 s, evenly: about 10 a second get through.
    kept = 0;
    for (let i = 0; i < 1000; i++) {
      now += 10;
      if (s.sampleRoot(newTraceId(random))) kept++;
    }
    assert.ok(kept >= 99 && kept <= 101, `~100 kept in 10 s, got ${kept}`);
  });

  it("the ratio decides first, by trace id, with OTel's TraceIdRatioBased answer for every id; 0 = no rate limit", () => {
    for (const r of [0, 0.25, 0.5, 1]) {
      const s = sink({ sampleRatio: r, maxTracesPerSecond: 0 });
      const otel = new TraceIdRatioBasedSampler(r);
      const random = seededRandom(2);
      let kept = 0;
      for (let i = 0; i < 2000; i++) {
        const id = newTraceId(random);
        const k = s.sampleRoot(id);
        assert.equal(k, otel.shouldSample({} as never, id).decision !== 0, `ratio ${r}, id ${id}: the same answer as OTel's sampler`);
        if (k) kept++;
      }
      assert.ok(Math.abs(kept - 2000 * r) < 120, `ratio ${r}: about ${2000 * r} kept, got ${kept}`);
      assert.equal(s.stats().traces_rate_limited, 0);
    }
    assert.equal(sink({}).sampleRoot('0'.repeat(32)), false, 'an invalid trace id is never sampled');
  });
});

describe("the sidecar's span sink: export", () => {
  it('sends the queue in batches of maxExportBatchSize, one request each, and counts what the receiver took', async (t) => {
    const receiver = new TraceReceiver();
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const s = new OtlpSpanSink({ endpoint: receiver.tracesUrl, service: 'store', instance: 'store-0', random: seededRandom(5), toEpochMs: (ms) => 1_700_000_000_000 + ms, maxExportBatchSize: 128, scheduledDelayMs: 20 });
    const random = seededRandom(6);
    for (let i = 0; i < 300; i++) s.record({ traceId: newTraceId(random), spanId: s.newSpanId(), parentSpanId: null, name: `s${i}`, kind: 'client', start: i, end: i + 1.5, error: i % 2 === 0, attributes: { n: i, ratio: 0.5, ok: true, tags: ['a', 'b'] } });
    await s.shutdown();
    assert.deepEqual(s.stats(), { spans_recorded: 300, spans_dropped: 0, spans_exported: 300, spans_export_failed: 0, traces_rate_limited: 0 });
    assert.equal(receiver.stats().exports, 3, '128 + 128 + 44');
    const spans = receiver.store.spans();
    assert.equal(spans.length, 300);
    const s7 = spans.find((x) => x.name === 's7')!;
    assert.deepEqual(s7.attributes, { n: 7, ratio: 0.5, ok: true, tags: ['a', 'b'] });
    assert.equal(s7.error, false);
    assert.equal(spans.find((x) => x.name === 's8')!.error, true);
    assert.equal(s7.startMs, 1_700_000_000_007);
    assert.equal(s7.durationMs, 1.5);
    s.record({ traceId: newTraceId(random), spanId: s.newSpanId(), parentSpanId: null, name: 'late', kind: 'client', start: 0, end: 1, error: false, attributes: {} });
    assert.equal(s.stats().spans_dropped, 1, 'after shutdown, a span is dropped and counted');
  });
});

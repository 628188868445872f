import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { OtlpSpanSink } from '../../src/trace/otlp-span-sink.ts';
import { newTraceId } from '../../src/contract/trace-context.ts';
import { seededRandom } from '../../src/util/random.ts';

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

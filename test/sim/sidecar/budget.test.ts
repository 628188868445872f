import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startStatusServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

const CONCURRENT = 40;
const ATTEMPTS = 3;

async function storm(t: Parameters<typeof startSidecar>[0], budget: { percent: number; minRetryConcurrency: number } | null) {
  // Every answer is a 503 after 100ms, so the 40 requests overlap and all want to retry at once.
  const up = closing(t, await startStatusServer(503, 100));
  const { sidecar, ports } = await startSidecar(t);
  sidecar.applyConfig(
    sidecarConfig({
      clusters: { payments: { policy: policy({ retries: retries({ attempts: ATTEMPTS, retryOn: ['5xx'], budget }) }), endpoints: [endpoint('payments-0', up.port)] } },
    }),
  );
  const results = await Promise.all(Array.from({ length: CONCURRENT }, () => send(ports.outbound, { host: 'payments', timeoutMs: 10_000 })));
  return { sidecar, results, up };
}

describe('retry budget (Envoy retry_budget: active retries < max(min_retry_concurrency, percent × active requests))', () => {
  it('without a budget every request retries to its limit', async (t) => {
    const { sidecar, results } = await storm(t, null);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry'), CONCURRENT * ATTEMPTS);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry_overflow'), 0);
    assert.ok(results.every((r) => r.headers['x-meshproof-flags'] === 'URX'));
  });

  it('with a small budget, retries overflow: fewer retries, UO on the refused ones, overflow counted and reported as coalesced events', async (t) => {
    const { sidecar, results, up } = await storm(t, { percent: 0.1, minRetryConcurrency: 1 });
    const retried = counter(sidecar, 'cluster.payments.upstream_rq_retry');
    const overflow = counter(sidecar, 'cluster.payments.upstream_rq_retry_overflow');
    assert.ok(overflow > 0, 'some retries overflowed');
    assert.ok(retried < (CONCURRENT * ATTEMPTS) / 2, `${retried} retries, far fewer than the ${CONCURRENT * ATTEMPTS} without a budget`);
    assert.equal(up.received, CONCURRENT + retried, 'the upstream saw only the retries the budget allowed');
    assert.ok(results.every((r) => r.status === 503));
    const uo = results.filter((r) => String(r.headers['x-meshproof-flags']).split(',').includes('UO')).length;
    assert.equal(uo, overflow, 'each overflowed request carries UO');
    assert.equal(sidecar.stats().gauges['cluster.payments.rq_retry_active'], 0, 'retry slots all released');
    assert.equal(sidecar.stats().gauges['cluster.payments.rq_active'], 0);

    // At most one event per cluster per second, the counts adding up to the counter.
    const events = await waitFor(
      () => {
        const ev = sidecar.events(0).filter((e) => e.type === 'retry-budget-overflow');
        const total = ev.reduce((n, e) => n + (e.data!.count as number), 0);
        return total === overflow ? ev : undefined;
      },
      { timeoutMs: 3000, describe: () => 'overflow events adding up to the counter' },
    );
    assert.ok(events.length <= 3, `${events.length} events for ${overflow} overflows`);
    const first = events[0];
    assert.match(describeMeshEvent(first), /refused by the retry budget \(10% of active requests, at least 1 concurrent\)/);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].at - events[i - 1].at >= 990, 'events at least a second apart');
  });

  it('minRetryConcurrency alone bounds concurrent retries (percent 0)', async (t) => {
    const { sidecar } = await storm(t, { percent: 0, minRetryConcurrency: 2 });
    assert.ok(counter(sidecar, 'cluster.payments.upstream_rq_retry_overflow') > 0);
    assert.ok(counter(sidecar, 'cluster.payments.upstream_rq_retry') < CONCURRENT);
  });
});

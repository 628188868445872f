// A sidecar in its own process measures its event-loop delay from the run's second 0 and serves it
// as /stats gauges, which the harness reads to check its promises. A real monitor, a real stall.
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { loopDelayFromGauges } from '../../../src/contract/run-health.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { LoopDelayMonitor } from '../../../src/util/loop-delay-monitor.ts';
import { sidecarConfig } from '../helpers/config.ts';
import { getJson, send } from '../helpers/http.ts';
import { pushHeaders } from '../helpers/credential.ts';
import { startSidecar } from '../helpers/sidecar.ts';

function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* the process's loop is held */
  }
}

const gauges = async (admin: number) => (await getJson<{ gauges: Record<string, number> }>(admin, '/stats')).gauges;

describe("a sidecar's event-loop delay", () => {
  it('is served as server.event_loop_delay gauges, counted from second 0: a stall before it is not the run’s', async (t) => {
    const monitor = new LoopDelayMonitor().start();
    t.onTestFinished(() => monitor.stop());
    const { ports } = await startSidecar(t, { loopDelay: monitor });
    // A stall of start-up, before second 0.
    stall(400);
    const t0 = Date.now() + 300;
    const push = await send(ports.admin, { path: '/config', method: 'POST', body: JSON.stringify(sidecarConfig({ t0, clusters: {} })), headers: pushHeaders() });
    assert.equal(push.status, 200);
    // Past second 0 (the reset ran), a stall of 150 ms in the run.
    await waitFor(() => (Date.now() > t0 + 100 ? true : undefined), { timeoutMs: 5000, describe: () => 'second 0 passed' });
    stall(150);
    await waitFor(async () => (((await gauges(ports.admin))['server.event_loop_delay.samples'] ?? 0) > 5 ? true : undefined), { timeoutMs: 5000, intervalMs: 50, describe: () => 'samples after the stall' });
    const loop = loopDelayFromGauges(await gauges(ports.admin))!;
    assert.ok(loop, 'the gauges are served');
    assert.ok(loop.maxMs >= 120, `the run's stall is seen: ${JSON.stringify(loop)}`);
    assert.ok(loop.maxMs < 380, `start-up's stall is not: ${JSON.stringify(loop)}`);
    const prom = (await send(ports.admin, { path: '/stats/prometheus' })).body;
    assert.match(prom, /^meshproof_server_event_loop_delay_max_ms \d/m);
  });

  it('is absent from /stats when the sidecar shares its process (no monitor given)', async (t) => {
    const { ports } = await startSidecar(t);
    assert.equal(loopDelayFromGauges(await gauges(ports.admin)), null);
  });
});

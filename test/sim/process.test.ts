import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pidAlive as isAlive } from '../../src/process/pid-alive.ts';
import { waitFor } from '../../src/util/http-json.ts';
import { serviceSpec } from '../helpers/scenario.ts';
import { BUILTIN_MAIN, exited, SIDECAR_MAIN, startChild } from './helpers/child.ts';
import { endpoint, policy, sidecarConfig } from './helpers/config.ts';
import { send } from './helpers/http.ts';
import { startEchoServer } from './helpers/servers.ts';
import { closing } from './helpers/sidecar.ts';
import { pushHeaders } from './helpers/credential.ts';

const PARENT_FIXTURE = fileURLToPath(new URL('./fixtures/parent-of-sidecar.ts', import.meta.url));

const checkoutSpec = serviceSpec('checkout', { latency: { kind: 'fixed', ms: 2 }, concurrency: 8, queue: 8, calls: ['payments'] });

describe('real processes (sidecar/main.ts and builtin/main.ts)', () => {
  it('start, report ready over IPC, take a config push over HTTP, carry a request, and exit when the IPC channel closes', async (t) => {
    const payments = closing(t, await startEchoServer());
    const sidecar = await startChild(t, SIDECAR_MAIN, { MESHPROOF_INSTANCE: 'checkout-0', MESHPROOF_SERVICE: 'checkout', MESHPROOF_SEED: '5' });
    assert.equal(sidecar.ready.type, 'ready');
    assert.ok(sidecar.ready.role === 'sidecar');
    const ports = sidecar.ready.ports;
    assert.ok(ports.inbound > 0 && ports.outbound > 0 && ports.admin > 0);

    const app = await startChild(t, BUILTIN_MAIN, {
      PORT: '0',
      MESHPROOF_INSTANCE: 'checkout-0',
      MESHPROOF_SIDECAR: `127.0.0.1:${ports.outbound}`,
      MESHPROOF_SERVICE_SPEC: JSON.stringify(checkoutSpec),
      MESHPROOF_SEED: '6',
    });
    assert.ok(app.ready.type === 'ready' && app.ready.role === 'app');
    const appPort = app.ready.port;
    assert.ok(appPort > 0);

    assert.equal((await send(ports.admin, { path: '/ready' })).status, 503);
    const cfg = sidecarConfig({
      app: { host: '127.0.0.1', port: appPort },
      clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', payments.port)] } },
    });
    const push = await send(ports.admin, { path: '/config', method: 'POST', body: JSON.stringify(cfg), headers: pushHeaders() });
    assert.deepEqual(JSON.parse(push.body), { version: 1, applied: true });
    assert.equal((await send(ports.admin, { path: '/ready' })).status, 200);

    // client → sidecar inbound → app → sidecar outbound (Host: payments) → payments
    const r = await send(ports.inbound, { host: 'checkout', headers: { 'x-request-id': 'via-processes' } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body.trim(), 'ok checkout-0');
    assert.equal(payments.received, 1);
    assert.equal(payments.seen[0]['x-request-id'], 'via-processes');
    assert.equal(payments.seen[0].host, 'payments');

    const stats = JSON.parse((await send(ports.admin, { path: '/stats' })).body);
    assert.equal(stats.counters['http.inbound.downstream_rq_2xx'], 1);
    assert.equal(stats.counters['cluster.payments.upstream_rq_200'], 1);

    // The parent "goes away": closing the IPC channel must end both children promptly.
    const t0 = performance.now();
    sidecar.child.disconnect();
    app.child.disconnect();
    const [s, a] = await Promise.all([exited(sidecar.child, 5000), exited(app.child, 5000)]);
    assert.deepEqual(s, { code: 0, signal: null }, sidecar.stderr());
    assert.deepEqual(a, { code: 0, signal: null }, app.stderr());
    assert.ok(performance.now() - t0 < 3000);
  });

  it('SIGTERM closes the listeners and exits 0', async (t) => {
    const sidecar = await startChild(t, SIDECAR_MAIN, { MESHPROOF_INSTANCE: 'x-0', MESHPROOF_SERVICE: 'x' });
    sidecar.child.kill('SIGTERM');
    assert.deepEqual(await exited(sidecar.child, 5000), { code: 0, signal: null });
  });

  it('a sidecar whose parent is SIGKILLed goes away too (no child outlives a crashed harness)', async (t) => {
    const parent = spawn(process.execPath, [PARENT_FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.onTestFinished(() => {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    });
    let out = '';
    parent.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const pid = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), { timeoutMs: 10_000, describe: () => 'the sidecar started by the fixture' });
    t.onTestFinished(() => {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    assert.ok(isAlive(pid));
    parent.kill('SIGKILL');
    await waitFor(() => (isAlive(pid) ? undefined : true), { timeoutMs: 5000, intervalMs: 25, describe: () => `sidecar pid ${pid} gone after its parent was killed` });
  });

  it('a missing required variable: exit 1 with the variable named', async (t) => {
    const child = spawn(process.execPath, [SIDECAR_MAIN], { env: { ...process.env, MESHPROOF_INSTANCE: '', MESHPROOF_SERVICE: 'x' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    t.onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    assert.deepEqual(await exited(child, 5000), { code: 1, signal: null });
    assert.match(err, /missing environment variable MESHPROOF_INSTANCE/);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import type { MeshEventOf } from '../../src/contract/mesh-event.ts';
import type { Bucket } from '../../src/contract/series.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';
import { processesOfRun, runCli } from '../helpers/cli.ts';
import { describeDockerRuns } from '../runtime/docker/helpers.ts';

/**
The certificate faults through the whole harness (issue 13): the control plane lets payments-1's
certificate run out from 2s to 6s, then runs payments-0's clock 25h ahead from 9s to 12s
(fixtures/security-faults.yaml, certificates of 6s renewed every 3s). Each breaks the handshakes of
its own window, on the side the issue says, and no others; the expired certificate is not renewed
while the fault lasts, and everyone else's renewals go on. Windows are read from when each fault's
push applied at its pod (the run's own events), not from the schedule: on a loaded machine a push
lands later than planned.
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-security-faults-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

const EXPIRED = { from: 2, to: 6 };
const SKEWED = { from: 9, to: 12 };

function sum(buckets: Bucket[], from: number, to: number, what: (b: Bucket) => number): number {
  return buckets.slice(from, to).reduce((a, b) => a + what(b), 0);
}

function check(r: RunResult): void {
  const t0 = r.timeline.t0;
  const sec = (at: number) => (at - t0) / 1000;
  const edge = r.timeline.series['edge:front->payments'];
  const p0 = r.timeline.series['instance:payments-0'];
  const p1 = r.timeline.series['instance:payments-1'];
  const errors = (b: Bucket) => b.handshakeErrors ?? 0;
  const series = (s: Bucket[]) => s.map(errors).join(' ');
  const rotated = r.events.filter((e): e is MeshEventOf<'certificate-rotated'> => e.type === 'certificate-rotated');
  const applied = r.events.filter((e): e is MeshEventOf<'config-applied'> => e.type === 'config-applied');

  // When each fault took effect at its pod and when it stopped (the push that ends it applied there),
  // in seconds of the run: the windows every figure below is read against.
  const p1Certs = rotated.filter((e) => e.instance === 'payments-1');
  const expiredCert = p1Certs.find((e) => e.data.notAfter < e.at);
  assert.ok(expiredCert, `payments-1 was pushed an expired certificate: ${p1Certs.map((e) => sec(e.at).toFixed(2)).join(', ')}`);
  const fresh = p1Certs.find((e) => e.at > expiredCert.at);
  assert.ok(fresh && fresh.data.notAfter > fresh.at, 'a fresh certificate as the fault ends');
  const expiry = { from: sec(expiredCert.at), to: sec(fresh.at) };
  assert.ok(expiry.from >= EXPIRED.from && expiry.to >= EXPIRED.to, `the expiry took effect at ${expiry.from}s–${expiry.to}s`);
  const skewPushes = applied.filter((e) => e.instance === 'payments-0' && e.data.changed.includes('security') && sec(e.at) >= SKEWED.from - 0.5).map((e) => sec(e.at));
  const skew = { from: skewPushes[0], to: skewPushes.find((s) => s >= SKEWED.to - 0.5)! };
  assert.ok(skew.from !== undefined && skew.to !== undefined, `payments-0's clock pushed off and back: ${skewPushes.join(', ')}`);

  // Failed handshakes toward payments only inside the windows, as they took effect (a handshake
  // under way when the ending push lands still fails: half a second of slack after each end).
  const quiet = [
    [0, Math.floor(expiry.from)],
    [Math.ceil(expiry.to + 0.5), Math.floor(skew.from)],
    [Math.ceil(skew.to + 0.5), edge.length],
  ];
  for (const [from, to] of quiet) assert.equal(sum(edge, from, to, errors), 0, `no failed handshake at front between ${from}s and ${to}s: ${series(edge)}`);
  assert.ok(sum(edge, EXPIRED.from, EXPIRED.to, errors) > 0, `front's handshakes to payments fail while payments-1's certificate is expired: ${series(edge)}`);
  assert.ok(sum(edge, SKEWED.from, SKEWED.to, errors) > 0, `front's handshakes to payments fail while payments-0's clock is off: ${series(edge)}`);
  assert.ok(sum(edge, EXPIRED.from, EXPIRED.to, (b) => b.flags.UF ?? 0) > 0, 'a failed handshake is a 503 with flag UF at the caller');
  assert.equal(sum(p0, 0, Math.floor(skew.from), errors), 0, `payments-0 is untouched by payments-1's expiry: ${series(p0)}`);
  assert.equal(sum(p1, Math.ceil(expiry.to + 0.5), p1.length, errors), 0, `payments-1 is untouched by payments-0's clock: ${series(p1)}`);
  assert.equal(sum(p1, Math.ceil(expiry.from), Math.floor(expiry.to), (b) => b.requests), 0, `nothing reaches payments-1 while its certificate is expired: ${p1.map((b) => b.requests).join(' ')}`);

  // Who refused whom, and why, as the events say it. A coalesced event reports the second before it.
  const failed = r.events.filter((e): e is MeshEventOf<'handshake-failed'> => e.type === 'handshake-failed' && (e.data.cluster === 'payments' || e.instance.startsWith('payments-')));
  const within = (e: { at: number }, w: { from: number; to: number }) => sec(e.at) >= w.from && sec(e.at) <= w.to + 1.5;
  const inExpiry = failed.filter((e) => within(e, expiry));
  const inSkew = failed.filter((e) => within(e, skew));
  assert.equal(inExpiry.length + inSkew.length, failed.length, `every failure in a window: ${failed.map((e) => `${e.instance}@${sec(e.at).toFixed(2)}s`).join(', ')}`);
  const expiredAtCaller = inExpiry.filter((e) => e.instance === 'front-0');
  assert.ok(expiredAtCaller.length > 0);
  for (const e of expiredAtCaller) {
    assert.equal(e.data.endpoint, 'payments-1');
    assert.equal(e.data.kind, 'fail_verify_error');
    assert.equal(e.data.detail, 'certificate has expired');
  }
  const skewAtServer = inSkew.filter((e) => e.instance === 'payments-0' && e.data.cluster === null);
  assert.ok(skewAtServer.length > 0, 'payments-0 refuses the handshakes itself: by its clock the client certificate has expired');
  for (const e of skewAtServer) assert.match(e.data.detail, /expired .*clock runs 25h ahead/);
  assert.ok(!inSkew.some((e) => e.data.endpoint === 'payments-1' || e.instance === 'payments-1'));

  // payments-1 holds the expired certificate for the window, with no renewal in it; the others renew every 3s throughout.
  assert.deepEqual(p1Certs.filter((e) => e.at > expiredCert.at && e.at < fresh.at), [], 'no renewal while it runs out');
  assert.ok(sec(fresh.at) - EXPIRED.to < 1, `the fresh one comes with the fault's end, not a renewal later (${sec(fresh.at)}s)`);
  const front = rotated.filter((e) => e.instance === 'front-0').map((e) => sec(e.at));
  assert.ok(front.length >= 3, `front-0 renewed through the run: ${front.join(', ')}`);
  for (let i = 1; i < front.length; i++) {
    const gap = front[i] - front[i - 1];
    assert.ok(gap > 1.5 && gap < 5, `renewed at half of a 6s life, every 3s: ${front.map((s) => s.toFixed(2)).join(', ')}`);
  }
}

async function runFixture(runtime: 'local' | 'docker', runs?: Set<string>): Promise<void> {
  const dir = join(reports, runtime);
  const run = await runCli(['run', 'test/e2e/fixtures/security-faults.yaml', '--reports', dir, '--runtime', runtime], { timeoutMs: 240_000 });
  const context = `\n--- stdout ---\n${run.stdout.slice(-6000)}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
  const [folder] = readdirSync(dir);
  assert.ok(folder, `a report folder was written${context}`);
  const result = JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
  runs?.add(result.runId);
  assert.equal(result.error, null, context);
  // Every expectation of the fixture holds; on a machine too busy to judge (its CPU over 97%), each
  // is inconclusive with the reason instead, never failed. What check() reads is judged either way.
  assertDocumentedVerdicts(run.code, result, { code: 0 }, context);
  check(result);
  assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
}

describe('certificate faults on the local runtime', () => {
  test('an expired certificate and a skewed clock break the handshakes of their windows only', { timeout: 240_000 }, () => runFixture('local'));
});

const runs = new Set<string>();
await describeDockerRuns('certificate faults on the Docker runtime', runs, () => {
  test('the same on Docker', { timeout: 240_000 }, () => runFixture('docker', runs));
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type Docker from 'dockerode';
import type { MeshEventOf } from '../../src/contract/mesh-event.ts';
import type { Bucket } from '../../src/contract/series.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { ensureRuntimeImage } from '../../src/runtime/docker/runtime-image.ts';
import { processesOfRun, runCli } from '../helpers/cli.ts';
import { assertRunsLeftNothing, describeWithDocker, dockerEngine, leftovers, type Leftovers } from '../runtime/docker/helpers.ts';

/**
The certificate faults through the whole harness (issue 13): the control plane lets payments-1's
certificate run out from 2s to 5s, then runs payments-0's clock 25h ahead from 8s to 11s
(fixtures/security-faults.yaml, certificates of 6s renewed every 3s). Each breaks the handshakes of
its own window, on the side the issue says, and no others; the expired certificate is not renewed
while the fault lasts, and everyone else's renewals go on. Windows are read with a second of slack
after their end: a handshake already under way when the fresh push lands still fails.
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-security-faults-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

const EXPIRED = { from: 2, to: 5 };
const SKEWED = { from: 8, to: 11 };

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

  // Failed handshakes only inside the two windows (and the second after each), on the faulty instance.
  for (const [from, to] of [[0, EXPIRED.from], [EXPIRED.to + 1, SKEWED.from], [SKEWED.to + 1, edge.length]]) {
    assert.equal(sum(edge, from, to, errors), 0, `no failed handshake at front between ${from}s and ${to}s: ${series(edge)}`);
  }
  assert.ok(sum(edge, EXPIRED.from, EXPIRED.to, errors) > 0, `front's handshakes to payments fail while payments-1's certificate is expired: ${series(edge)}`);
  assert.ok(sum(edge, SKEWED.from, SKEWED.to, errors) > 0, `front's handshakes to payments fail while payments-0's clock is off: ${series(edge)}`);
  assert.ok(sum(edge, EXPIRED.from, EXPIRED.to, (b) => b.flags.UF ?? 0) > 0, 'a failed handshake is a 503 with flag UF at the caller');
  assert.equal(sum(p0, EXPIRED.from, EXPIRED.to + 1, errors), 0, `payments-0 is untouched by payments-1's expiry: ${series(p0)}`);
  assert.equal(sum(p1, SKEWED.from, SKEWED.to + 1, errors), 0, `payments-1 is untouched by payments-0's clock: ${series(p1)}`);
  assert.ok(sum(p1, EXPIRED.from + 1, EXPIRED.to, (b) => b.requests) === 0, `nothing reaches payments-1 while its certificate is expired: ${p1.map((b) => b.requests).join(' ')}`);

  // Who refused whom, and why, as the events say it.
  const failed = r.events.filter((e): e is MeshEventOf<'handshake-failed'> => e.type === 'handshake-failed');
  const inExpiry = failed.filter((e) => sec(e.at) < EXPIRED.to + 1);
  const inSkew = failed.filter((e) => sec(e.at) >= SKEWED.from);
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

  // payments-1 holds an expired certificate for the window, with no renewal in it; the others renew every 3s throughout.
  const rotated = r.events.filter((e): e is MeshEventOf<'certificate-rotated'> => e.type === 'certificate-rotated');
  const p1Certs = rotated.filter((e) => e.instance === 'payments-1');
  const inWindow = p1Certs.filter((e) => sec(e.at) > EXPIRED.from && sec(e.at) < EXPIRED.to);
  assert.equal(inWindow.length, 1, `one certificate in the window, the expired one: ${p1Certs.map((e) => sec(e.at).toFixed(2)).join(', ')}`);
  assert.ok(inWindow[0].data.notAfter < inWindow[0].at, 'already expired when pushed');
  const after = p1Certs.find((e) => sec(e.at) >= EXPIRED.to);
  assert.ok(after && after.data.notAfter > after.at && sec(after.at) < EXPIRED.to + 1, 'a fresh certificate as the fault ends');
  const front = rotated.filter((e) => e.instance === 'front-0').map((e) => sec(e.at));
  assert.ok(front.length >= 3, `front-0 renewed through the run: ${front.join(', ')}`);
  for (let i = 1; i < front.length; i++) {
    const gap = front[i] - front[i - 1];
    assert.ok(gap > 2 && gap < 5, `renewed at half of a 6s life, every 3s: ${front.map((s) => s.toFixed(2)).join(', ')}`);
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
  assert.equal(run.code, 0, `exit code${context}`);
  check(result);
  assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
}

describe('certificate faults on the local runtime', () => {
  test('an expired certificate and a skewed clock break the handshakes of their windows only', { timeout: 240_000 }, () => runFixture('local'));
});

const engine = await dockerEngine();
describeWithDocker('certificate faults on the Docker runtime', engine, (docker: Docker) => {
  const runs = new Set<string>();
  let baseline: Leftovers | undefined;
  beforeAll(async () => void (await ensureRuntimeImage(docker)), 300_000);
  beforeAll(async () => void (baseline = await leftovers(docker)));
  afterAll(async () => assertRunsLeftNothing(docker, runs, baseline));
  test('the same on Docker', { timeout: 240_000 }, () => runFixture('docker', runs));
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { runCli } from '../helpers/cli.ts';

/** The load's two forms through a whole run: what result.json, summary.md and report.html say about how it was delivered. */
const tmp = mkdtempSync(join(tmpdir(), 'meshproof-load-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scenario(name: string, load: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: ${name}
description: one service, ${name}
duration: 3s
services:
  front: { latency: 2ms }
load: ${load}
expect:
  - success_rate(client) >= 99%
`,
  );
  return file;
}

async function run(file: string): Promise<{ result: RunResult; dir: string; stdout: string }> {
  const reports = join(tmp, `reports-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(['run', file, '--reports', reports], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [folder] = readdirSync(reports);
  const dir = join(reports, folder);
  return { result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult, dir, stdout: r.stdout };
}

test('an open-loop load with Poisson arrivals: its honesty is in result.json, summary.md, report.html and the last words', { timeout: 90_000 }, async () => {
  const { result, dir, stdout } = await run(scenario('poisson-load', '{ target: front, rate: 50/s, arrivals: poisson }'));
  const h = result.load.honesty!;
  assert.equal(h.model, 'open');
  assert.equal(h.arrivals, 'poisson');
  assert.equal(h.expectedCv, 1);
  assert.equal(h.intended, h.sent + h.dropped.total);
  assert.equal(h.perSecond.sent.length, 3);
  assert.equal(h.perSecond.sent.reduce((a, b) => a + b, 0), h.sent);
  assert.equal(result.load.targetRate, 50);
  // Both client series are in the timeline: from the intended send, and from the actual send.
  const total = (key: string) => result.timeline.series[key].reduce((a, b) => a + b.requests, 0);
  assert.equal(total('client'), total('client:sent'));
  assert.equal(total('client'), result.load.requests);
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\| Load delivered.* \| \|\n\| --- \| --- \|\n\| load \| open loop, Poisson arrivals, at most 10 in flight/);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<section id="load"><h2>Load delivered<\/h2>/);
  assert.match(stdout, /\nLoad: [\d.]+\/s of 50\/s \(/);
  // How it was sent: the sender thread (the default for a plaintext ingress), no priority asked for.
  assert.deepEqual(result.load.sender, { via: 'socket', priority: null });
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\n\| sent by \| the load process's sender thread, writing each request itself at its time \|\n/);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<th scope="row" class="nowrap">sent by<\/th><td>the load process&#39;s sender thread/);
});

test('a closed-loop load (connections, no rate): as fast as the mesh answers', { timeout: 90_000 }, async () => {
  const { result, stdout } = await run(scenario('closed-load', '{ target: front, connections: 3 }'));
  const h = result.load.honesty!;
  assert.equal(h.model, 'closed');
  assert.equal(result.load.targetRate, null);
  assert.equal(h.cap, 3);
  // Three requests in flight against a 2 ms service through two sidecars: hundreds a second.
  assert.ok(result.load.requests > 300, `${result.load.requests} requests`);
  assert.match(stdout, /load: closed loop, 3 requests in flight, for 3\.0s/);
  assert.match(stdout, /\nLoad: closed loop, 3 in flight: [\d.]+\/s/);
});

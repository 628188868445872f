import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, onTestFinished, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { CLI, processesOfRun, ROOT, runCli } from '../helpers/cli.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';
import { WIRE_CASES } from './wire-scenario-cases.ts';

/**
The shipped scenarios with faults on the wire (toxics and partitions through the fault engine, driven
by toxiproxy-node-client), run for real by the CLI; and the two ways of using a real Toxiproxy
(chaos.engine: toxiproxy). A scenario with its policy must hold; its twin without it must fail on
the expectations the policy exists for. One at a time: these are timing experiments on a loaded
2-core machine, so every threshold sits far from both sides (see each scenario's comments).
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-e2e-wire-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

function readResult(dir: string, context: string): RunResult {
  const [folder] = readdirSync(dir);
  assert.ok(folder, `a report folder was written${context}`);
  for (const f of ['result.json', 'junit.xml', 'summary.md']) assert.ok(existsSync(join(dir, folder, f)), `${f} written`);
  return JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
}

describe('shipped wire-fault scenarios', () => {
  for (const c of WIRE_CASES) {
    test(`${c.file} exits ${c.code}`, { timeout: 120_000 }, async () => {
      const dir = join(reports, c.file.replace('.yaml', ''));
      const run = await runCli(['run', join('scenarios', c.file), '--reports', dir, '--duration', c.duration]);
      const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      const result = readResult(dir, context);
      assert.equal(result.error, null, context);
      assertDocumentedVerdicts(run.code, result, c, context);

      // Each wire fault took effect on the wire, soon after it was due, and was lifted on time.
      const planned = new Map(result.scenario.faults.map((f) => [f.name, f]));
      for (const expected of c.faults) {
        const r = result.faults.find((f) => f.name === expected.name);
        assert.ok(r, `fault ${expected.name} has a record`);
        const f = planned.get(expected.name)!;
        assert.ok(r.startedMs !== null && r.startedMs >= f.atMs && r.startedMs < f.atMs + 1000, `${expected.name} took effect at ${r.startedMs}ms, due at ${f.atMs}ms`);
        assert.ok(r.endedMs !== null && f.forMs !== null && r.endedMs >= f.atMs + f.forMs && r.endedMs < f.atMs + f.forMs + 1000, `${expected.name} ended at ${r.endedMs}ms`);
        assert.match(r.detail, expected.detail);
      }
      assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
    });
  }
});

/** A scenario file in the temp folder: the slow store behind a latency toxic, with the given chaos line. */
function toxiproxyScenario(name: string, chaos: string): string {
  const file = join(reports, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: ${name}
description: A latency toxic on every link into store, applied by a real Toxiproxy API.
seed: 3
duration: 6s
services:
  front: { calls: [store] }
  store: { replicas: 2, latency: 2ms }
load: { target: front, rate: 50/s, connections: 20 }
faults:
  - { name: slow, at: 2s, for: 3s, target: store, toxic: { type: latency, latency: 1000 } }
expect:
  # Far apart on purpose: this checks that the toxic went through the server, not a timing policy.
  - p50(client) < 900ms before slow
  - p50(client) >= 950ms during slow from +1s
${chaos}
`,
  );
  return file;
}

describe('chaos.engine: toxiproxy', () => {
  test('without toxiproxy-server on PATH and without an address, the run stops before it starts, with exit 2 and what to do', { timeout: 60_000 }, async () => {
    const file = toxiproxyScenario('toxiproxy-missing', 'chaos: { engine: toxiproxy }');
    const run = await runCli(['run', file, '--no-report', '--duration', '5s'], { env: { PATH: '/nonexistent' } });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /toxiproxy-missing\.yaml: chaos\.engine is toxiproxy, but there is no toxiproxy-server on PATH/);
    assert.match(run.stderr, /chaos\.address/);
  });

  test('an address where no Toxiproxy answers stops the run before anything starts, with exit 2', { timeout: 60_000 }, async () => {
    const file = toxiproxyScenario('toxiproxy-not-there', 'chaos: { engine: toxiproxy, address: "127.0.0.1:9" }');
    const run = await runCli(['run', file, '--no-report', '--duration', '5s']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /the toxiproxy-server at chaos\.address 127\.0\.0\.1:9 does not answer the Toxiproxy API/);
    assert.doesNotMatch(run.stdout, /held|failed/, 'no verdicts: the run did not happen');
  });

  test('a Toxiproxy server already running at chaos.address gets the run\'s proxies and faults, and is left clean and running', { timeout: 120_000 }, async () => {
    // Exactly what a user with a real server does: start one, point the scenario at it. Here the
    // server is meshproof's engine run standalone (the real binary cannot be installed here).
    const server = spawn(process.execPath, [CLI, 'toxiproxy', '--port', '0', '--seed', '9'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // A hook registered inside a test never ran: the server outlived every suite run. This one runs
    // when the test ends, passed or failed.
    onTestFinished(() => void server.kill('SIGKILL'));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`meshproof toxiproxy exited (${code}): ${out}`)));
    });
    const address = url.replace('http://', '');
    const file = toxiproxyScenario('toxiproxy-at-address', `chaos: { engine: toxiproxy, address: "${address}" }`);
    const dir = join(reports, 'toxiproxy-at-address');
    // While the run goes, its proxies are on the server, named after the run.
    const seen = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const res = await fetch(`${url}/proxies`).catch(() => null);
        if (res?.ok) for (const name of Object.keys((await res.json()) as object)) seen.add(name);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const run = await runCli(['run', file, '--reports', dir, '--duration', '6s']);
    watching = false;
    await watch;
    const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    const result = readResult(dir, context);
    assert.equal(result.error, null, context);
    assertDocumentedVerdicts(run.code, result, { code: 0 }, context);
    assert.deepEqual([...seen].sort(), [`meshproof-${result.runId}-front-0__store-0`, `meshproof-${result.runId}-front-0__store-1`, `meshproof-${result.runId}-ingress__front-0`]);
    const slow = result.faults.find((f) => f.name === 'slow')!;
    assert.match(slow.detail, new RegExp(`latency toxic \\(downstream, latency=1000 jitter=0\\) on 2 link\\(s\\): front-0→store-0, front-0→store-1 \\(Toxiproxy 2\\.12\\.0-meshproof at ${address.replace(/\./g, '\\.')}\\)`));
    assert.ok(slow.startedMs !== null && slow.endedMs !== null);
    // Left as found: no proxy of the run, and still running.
    const after_ = await fetch(`${url}/proxies`);
    assert.deepEqual(await after_.json(), {});
    assert.equal(server.exitCode, null, 'the server is not the run\'s to stop');
    assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
  });
});

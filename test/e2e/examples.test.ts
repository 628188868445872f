import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { processesOfRun, ROOT, runCli } from '../helpers/cli.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';

/**
The examples under examples/, run for real by the CLI, as the shipped scenarios are: the polyglot
shop (a Python storefront calling a Node payments service through PAYMENTS_URL) holds with its
policies, exit 0, and its twin without them fails on the expectations they exist for, exit 1
(on a machine too busy to judge, inconclusive with reasons, never the opposite).
Then what a user of their own services meets when one does not start: exit 2, the command and
the end of its output, nothing left.
*/

const reports = mkdtempSync(join(tmpdir(), 'meshproof-examples-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

interface Case {
  file: string;
  code: 0 | 1;
  failing: string[];
}

const cases: Case[] = [
  { file: 'examples/polyglot-shop/shop.yaml', code: 0, failing: [] },
  {
    file: 'examples/polyglot-shop/shop--without-retries-or-ejection.yaml',
    code: 1,
    failing: ['success_rate(client) >= 99.5%', 'success_rate(client) >= 99% during p1-crash', 'ejected(payments-1) within 2s after p1-crash.start'],
  },
];

function onlyFolder(dir: string): string {
  const [folder] = readdirSync(dir);
  expect(folder, 'a report folder was written').toBeTruthy();
  return join(dir, folder);
}

describe('examples', () => {
  test('every example scenario is covered here', () => {
    const shipped = readdirSync(join(ROOT, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`);
    expect(shipped.sort()).toEqual(cases.map((c) => c.file).sort());
  });

  for (const c of cases) {
    test(`${c.file} exits ${c.code}`, async () => {
      const dir = join(reports, c.file.replace(/\W+/g, '-'));
      const run = await runCli(['run', c.file, '--reports', dir, '--plain'], { timeoutMs: 150_000 });
      const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      const folder = onlyFolder(dir);
      const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8')) as RunResult;
      expect(result.error, context).toBeNull();
      assertDocumentedVerdicts(run.code, result, c, context);
      // Each instance's output, in the report, named in the summary and linked from the page.
      const instances = ['storefront-0', 'payments-0', 'payments-1', 'payments-2'];
      expect(result.instances.filter((i) => i.log).map((i) => i.instance).sort()).toEqual([...instances].sort());
      expect(readFileSync(join(folder, 'logs', 'storefront-0.log'), 'utf8')).toMatch(/^storefront listening on 127\.0\.0\.1:\d+, payments at http:\/\/127\.0\.0\.1:\d+$/m);
      // payments-1 was killed and its command run again: two starts in its log.
      expect(readFileSync(join(folder, 'logs', 'payments-1.log'), 'utf8').match(/^payments listening on/gm)).toHaveLength(2);
      const summary = readFileSync(join(folder, 'summary.md'), 'utf8');
      for (const i of instances) expect(summary).toContain(`\`logs/${i}.log\``);
      const html = readFileSync(join(folder, 'report.html'), 'utf8');
      for (const i of instances) expect(html).toContain(`<a href="logs/${i}.log">`);
      // The Python storefront passes traceparent on: one trace runs from the client through both programs' sidecars.
      const traces = JSON.parse(readFileSync(join(folder, 'traces.json'), 'utf8')) as { spans: { traceId: string; service: string }[] };
      const services = new Map<string, Set<string>>();
      for (const s of traces.spans) services.set(s.traceId, (services.get(s.traceId) ?? new Set()).add(s.service));
      expect([...services.values()].some((s) => s.has('client') && s.has('storefront') && s.has('payments'))).toBe(true);
      expect(processesOfRun(result.runId), 'no process of the run is left, the programs included').toEqual([]);
    }, 180_000);
  }

  test('Ctrl-C during the load: exit 130, the programs stopped with everything else, their logs kept', async () => {
    const dir = mkdtempSync(join(reports, 'interrupted-'));
    let interrupted = false;
    // The CLI's stdout arrives in chunks: the lines so far.
    let seen = '';
    const run = await runCli(['run', 'examples/polyglot-shop/shop.yaml', '--reports', dir, '--plain'], {
      timeoutMs: 90_000,
      onStdout: (chunk, child) => {
        seen += chunk;
        if (!interrupted && /second\s+2:/.test(seen)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    const out = run.stdout + run.stderr;
    expect(interrupted, out).toBe(true);
    expect(run.code, out).toBe(130);
    const runId = /\(run ([\w-]+)\)/.exec(run.stdout)?.[1];
    expect(runId, out).toBeTruthy();
    expect(processesOfRun(runId!), 'no process of the run is left, the programs included').toEqual([]);
    const folder = onlyFolder(dir);
    expect(readFileSync(join(folder, 'logs', 'storefront-0.log'), 'utf8')).toMatch(/storefront-0: exited \(/);
  }, 120_000);

  test('a command that fails at start: exit 2, the instance, its command and the end of its output, and nothing left', async () => {
    const dir = mkdtempSync(join(reports, 'crash-'));
    const scenario = join(dir, 'crash.yaml');
    writeFileSync(
      scenario,
      `version: 1
name: crash-at-start
description: A storefront that cannot start.
duration: 2s
services:
  storefront:
    command: [python3, -c, "import sys; print('loading config'); sys.stderr.write('KeyError: DATABASE_URL\\\\n'); sys.exit(4)"]
    calls: [payments]
  payments:
    replicas: 2
    command: node server.mjs
    cwd: ${join(ROOT, 'examples/polyglot-shop/payments')}
load: { target: storefront, rate: 10/s }
expect: ["success_rate(client) >= 99%"]
`,
    );
    const run = await runCli(['run', scenario, '--reports', join(dir, 'reports'), '--plain'], { timeoutMs: 60_000 });
    const out = run.stdout + run.stderr;
    expect(run.code, out).toBe(2);
    expect(out).toMatch(/storefront-0 \(service storefront\) did not start: it exited \(exit code 4\) before it was ready/);
    expect(out).toContain(`command: python3 -c "import sys; print('loading config')`);
    expect(out).toMatch(/\| loading config/);
    expect(out).toMatch(/\| KeyError: DATABASE_URL/);
    const folder = onlyFolder(join(dir, 'reports'));
    const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8')) as RunResult;
    expect(result.error).toMatch(/^storefront-0 \(service storefront\) did not start/);
    expect(existsSync(join(folder, 'logs', 'storefront-0.log'))).toBe(true);
    expect(result.instances.some((i) => i.log === 'logs/storefront-0.log')).toBe(true);
    expect(readFileSync(join(folder, 'summary.md'), 'utf8')).toMatch(/```text\n[\s\S]*\| KeyError: DATABASE_URL/);
    expect(processesOfRun(result.runId)).toEqual([]);
  }, 90_000);
});

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-report-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('meshproof report <folder> re-renders every report from result.json alone', async () => {
  const dir = join(tmp, '20260314-092651-store-slow-replica');
  mkdirSync(dir);
  copyFileSync(join(ROOT, 'test/report/fixtures/example-result.json'), join(dir, 'result.json'));
  const r = await runCli(['report', dir], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /✔ .*store-slow-replica: result\.json, junit\.xml, summary\.md, report\.html re-rendered from result\.json/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.equal(html.match(/<svg class="chart"/g)?.length, 15);
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /^## ❌ store-slow-replica/);
  assert.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /<testsuite /);
  // Twice gives the same page: nothing in it depends on when it was rendered.
  await runCli(['report', dir], { timeoutMs: 30_000 });
  assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), html);
});

test('a folder that is not a run: exit 2, saying what is wrong', async () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  const broken = join(tmp, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'result.json'), '{"format": 1, "scenario": {');
  const old = join(tmp, 'old');
  mkdirSync(old);
  writeFileSync(join(old, 'result.json'), '{"format": 0}');
  const cases: [string[], RegExp][] = [
    [['report'], /no run folder given/],
    [['report', join(tmp, 'nope')], /nope: no such folder/],
    [['report', empty], /empty: not a run folder: it has no result\.json/],
    [['report', broken], /broken[/\\]result\.json: not valid JSON/],
    [['report', old], /old[/\\]result\.json: result format 0 is not one this meshproof reads/],
    [['report', '--html'], /unknown option --html/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

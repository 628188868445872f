import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../../src/report/html/render-html.ts';
import { checkReportsDir, reportDirName, writeReports } from '../../src/report/write-reports.ts';
import { renderJUnit } from '../../src/report/junit.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { exampleResult } from './helpers.ts';

describe('writeReports', () => {
  it('creates the folder and writes result.json, junit.xml, summary.md and report.html', async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'meshproof-report-'));
    t.onTestFinished(() => rm(base, { recursive: true, force: true }));
    const result = exampleResult();
    const dir = join(base, 'nested', reportDirName(result));
    const paths = await writeReports(result, dir);
    assert.deepEqual(paths, [join(dir, 'result.json'), join(dir, 'junit.xml'), join(dir, 'summary.md'), join(dir, 'report.html')]);
    assert.deepEqual(JSON.parse(await readFile(paths[0], 'utf8')), result);
    assert.equal(await readFile(paths[1], 'utf8'), renderJUnit(result));
    assert.equal(await readFile(paths[2], 'utf8'), renderMarkdown(result));
    assert.equal(await readFile(paths[3], 'utf8'), renderHtml(result));
  });

  it('fails with MESHPROOF_REPORT_FAILED when the folder cannot be made', async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'meshproof-report-'));
    t.onTestFinished(() => rm(base, { recursive: true, force: true }));
    const result = exampleResult();
    await writeReports(result, join(base, 'a'));
    // a file where a folder should be
    await assert.rejects(writeReports(result, join(base, 'a', 'result.json', 'b')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'MESHPROOF_REPORT_FAILED');
      assert.match(e.message, /could not write the reports to .*result\.json[/\\]b/);
      return true;
    });
  });
});

describe('reportDirName', () => {
  it('is <YYYYMMDD-HHMMSS>-<scenario name>, in UTC', () => {
    assert.equal(reportDirName(exampleResult()), '20260314-092651-store-slow-replica');
  });
  it('keeps the name file-system safe', () => {
    assert.equal(reportDirName({ startedAt: '2026-01-02T03:04:05.678Z', scenario: { name: 'a/b c:d' } }), '20260102-030405-a-b-c-d');
    assert.equal(reportDirName({ startedAt: '2026-01-02T03:04:05.678Z', scenario: { name: '../..' } }), '20260102-030405-scenario');
  });
  it('takes any name: accents dropped, other scripts and slashes replaced, a long one cut with a hash of the whole', () => {
    const at = '2026-01-02T03:04:05.678Z';
    assert.equal(reportDirName({ startedAt: at, scenario: { name: 'café-crème' } }), '20260102-030405-cafe-creme');
    assert.equal(reportDirName({ startedAt: at, scenario: { name: '支付/超时' } }), '20260102-030405-scenario');
    assert.equal(reportDirName({ startedAt: at, scenario: { name: 'a\\b\u0000c' } }), '20260102-030405-a-b-c');
    const long = 'x'.repeat(300);
    const cut = reportDirName({ startedAt: at, scenario: { name: long } });
    assert.match(cut, /^20260102-030405-x{91}-[0-9a-f]{8}$/);
    assert.ok(Buffer.byteLength(cut) <= 120);
    assert.notEqual(cut, reportDirName({ startedAt: at, scenario: { name: long + 'y' } }));
    // Every valid name (at most 100 characters) is kept whole.
    assert.equal(reportDirName({ startedAt: at, scenario: { name: 'a'.repeat(100) } }), `20260102-030405-${'a'.repeat(100)}`);
  });
  it('a folder with a 300-character name is written where a raw name would fail with ENAMETOOLONG', async () => {
    const base = await mkdtemp(join(tmpdir(), 'meshproof-long-'));
    try {
      const result = { ...exampleResult(), scenario: { ...exampleResult().scenario, name: 'é'.repeat(150) + 'z'.repeat(150) } };
      const paths = await writeReports(result, join(base, reportDirName(result)));
      assert.equal(paths.length, 4);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('checkReportsDir', () => {
  it('makes the parent, leaves it empty, and refuses before a run what the run could not write', async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'meshproof-check-'));
    t.onTestFinished(() => rm(base, { recursive: true, force: true }));
    const now = new Date('2026-01-02T03:04:05Z');
    await checkReportsDir(join(base, 'reports'), { name: 'quickstart' }, now);
    assert.deepEqual(await readdir(join(base, 'reports')), []);

    await writeFile(join(base, 'a-file'), '');
    await assert.rejects(checkReportsDir(join(base, 'a-file', 'reports'), { name: 'quickstart' }, now), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'MESHPROOF_REPORT_FAILED');
      assert.match(e.message, /^cannot write reports under .*a-file\/reports: ENOTDIR.*; nothing was started \(use --reports <dir>, or --no-report\)$/);
      return true;
    });
    await assert.rejects(checkReportsDir(join(base, 'x'.repeat(300)), { name: 'quickstart' }, now), /ENAMETOOLONG/);
  });
});

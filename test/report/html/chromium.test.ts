import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, test } from 'vitest';
import { writeReports } from '../../../src/report/write-reports.ts';
import { markedResult } from './helpers.ts';

/*
report.html as a browser sees it: Debian's Chromium, headless, loads the file:// page with a fresh
profile and every background fetch off, and prints the DOM it built. What the parser kept (SVG
charts, fault bands, table rows) is what a person gets.
*/

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const required = Boolean(process.env.MESHPROOF_REQUIRE_CHROMIUM);
const present = existsSync(CHROMIUM);
const skipReason = present || required ? false : `${CHROMIUM} is not installed (apt-get install -y chromium; MESHPROOF_REQUIRE_CHROMIUM=1 makes this a failure): report.html was not checked in a browser`;
/** A skipped test carries its reason in its name (vitest's skip takes no reason). */
const named = (name: string) => (skipReason ? `${name} [skipped: ${skipReason}]` : name);
const skip = skipReason !== false;

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-html-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function chromium(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmp, 'profile-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...flags, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const count = (s: string, re: RegExp) => s.match(new RegExp(re.source, 'g'))?.length ?? 0;

test(named('headless Chromium builds the page: the charts, the fault bands, the marks and the expectation rows are in its DOM'), { skip, timeout: 120_000 }, async () => {
  assert.ok(present, `${CHROMIUM} is required (MESHPROOF_REQUIRE_CHROMIUM is set) but not installed`);
  const dir = join(tmp, 'run');
  await writeReports(markedResult(), dir);
  const { stdout: dom } = await chromium(['--dump-dom', pathToFileURL(join(dir, 'report.html')).href]);

  assert.match(dom, /<title>✘ store-slow-replica — meshproof<\/title>/);
  // 5 scopes (client, 2 edges, 2 services) × rps, latency, errors.
  assert.equal(count(dom, /<svg class="chart"/), 15);
  for (const m of ['rps', 'latency', 'errors']) assert.equal(count(dom, new RegExp(`data-metric="${m}"`)), 5, m);
  assert.equal(count(dom, /<path class="series line s-p50"/), 5);
  assert.equal(count(dom, /<rect class="fault-band c0" data-fault="s1-slow"/), 15);
  assert.equal(count(dom, /class="fault-band c1 not-applied" data-fault="s0-crash"/), 15);
  assert.ok(count(dom, /<g class="mark mark-ejected"/) > 0);

  // The parser kept the table whole: a row per expectation inside the expectations section.
  const section = /<section id="expectations">([\s\S]*?)<\/section>/.exec(dom)?.[1] ?? '';
  assert.equal(count(section, /<tr class="verdict /), 4);
  assert.equal(count(section, /data-status="failed"/), 1);
  assert.match(section, /<td class="measured">135ms<\/td>/);
});

test(named('the page renders to pixels without errors (a screenshot of the first screen)'), { skip, timeout: 120_000 }, async () => {
  const dir = join(tmp, 'shot');
  await writeReports(markedResult(), dir);
  const png = join(tmp, 'report.png');
  const { stderr } = await chromium(['--hide-scrollbars', '--window-size=1280,1600', `--screenshot=${png}`, pathToFileURL(join(dir, 'report.html')).href]);
  assert.ok(existsSync(png), stderr);
  // Blocked loads would be reported on stderr; the page has none to make.
  assert.doesNotMatch(stderr, /Refused to load|Content Security Policy|net::ERR_/, stderr);
});

// Every report shows an inconclusive verdict with why, and the harness's promises with their figures.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { RunHealth } from '../../src/contract/run-health.ts';
import { renderHtml } from '../../src/report/html/render-html.ts';
import { renderJUnit } from '../../src/report/junit.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderPlainSummary } from '../../src/report/plain.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { exampleResult } from './helpers.ts';

const HEALTH: RunHealth = {
  harnessLoop: { p50Ms: 0.2, p99Ms: 2.5, maxMs: 9, samples: 900 },
  loadLoop: null,
  sidecarLoops: { 'front-0': { p50Ms: 0.4, p99Ms: 3.1, maxMs: 11, samples: 900 } },
  cpu: { cores: 2, busy: 0.42, busyMax: 0.61, steal: 0.002, samples: 10 },
  faults: [
    { fault: 's1-slow', edge: 'start', plannedMs: 4000, beganMs: 4700, appliedMs: 4712, lateMs: 700 },
    { fault: 's1-slow', edge: 'end', plannedMs: 7000, beganMs: 7009, appliedMs: 7009, lateMs: 9 },
  ],
  load: { declaredRequests: 1000, sentRequests: 991, targetRate: 100, achievedRate: 99.1, cap: 10, droppedAtCap: null, droppedLate: null, latenessP99Ms: null, latenessMaxMs: null },
};

/** The example run with its failed expectation held, one inconclusive (a late fault), and the health. */
function inconclusiveResult(): RunResult {
  const r = exampleResult();
  r.health = HEALTH;
  r.verdicts = r.verdicts.map((v, i) =>
    i === 0
      ? { ...v, status: 'inconclusive', inconclusive: { wouldBe: 'failed', reasons: ['s1-slow planned to start at 4s took effect at 4.7s (700ms late; at most 250ms); the window it judges was 691ms short'], promises: ['fault:s1-slow:start'], figures: { 'fault_late_ms.s1-slow.start': 700 } }, explanation: 'inconclusive: s1-slow planned to start at 4s took effect at 4.7s (700ms late; at most 250ms)' }
      : { ...v, status: 'held' },
  );
  r.passed = false;
  return r;
}

describe('an inconclusive run in the reports', () => {
  const r = inconclusiveResult();
  const text = r.verdicts[0].expectation.text;

  test('summary.md: ❔ in the title, the verdict with why, and the harness-health table', () => {
    const md = renderMarkdown(r);
    assert.match(md.split('\n')[0], /^## ❔ .* — \d+ of \d+ expectations held, 1 inconclusive$/);
    assert.ok(md.includes(`| ❔ inconclusive | \`${text}\``), md);
    assert.match(md, /\*\*Why it is inconclusive\*\*/);
    assert.match(md, /\(the measurement alone: failed\): s1-slow planned to start at 4s took effect at 4\.7s/);
    assert.doesNotMatch(md, /\*\*Why it failed\*\*/);
    assert.match(md, /\*\*Harness health\*\*/);
    assert.match(md, /\| ⚠️ \| fault s1-slow start \| planned 4s, took effect 4\.7s \(700ms late\), applied by 4\.712s \| ≤ 250ms late \|/);
    assert.match(md, /\| ✅ \| CPU \| 42% busy/);
    assert.match(md, /\| ✅ \| load \| 991 of 1000 requests sent/);
  });

  test('report.html: an inconclusive pill, and a harness-health section', () => {
    const html = renderHtml(r);
    assert.match(html, /<span class="pill inconclusive">\? inconclusive<\/span>/);
    assert.match(html, /data-status="inconclusive"/);
    assert.match(html, /<section id="health"><h2>Harness health<\/h2>/);
    assert.match(html, /<tr class="broken">.*fault s1-slow start.*700ms late/);
  });

  test('junit.xml: skipped, with why; not a failure', () => {
    const xml = renderJUnit(r);
    assert.match(xml, /failures="0" errors="0" skipped="1"/);
    assert.match(xml, /<skipped message="inconclusive: s1-slow planned to start at 4s took effect at 4\.7s/);
    assert.doesNotMatch(xml, /<failure /);
  });

  test('the plain summary: the verdict, the promises broken, and the tally', () => {
    const plain = renderPlainSummary(r, { color: false });
    assert.match(plain, new RegExp(`^\\? inconclusive  ${text.replace(/[()*+?.[\]\\^$|]/g, '\\$&')} — inconclusive: s1-slow`, 'm'));
    assert.match(plain, /Harness health \(promises broken\):\n {2}fault s1-slow start: planned 4s, took effect 4\.7s/);
    assert.match(plain, /\d+ held, 0 failed, 1 inconclusive — /);
  });

  test('a run that kept every promise says so, and nothing is inconclusive', () => {
    const ok = exampleResult();
    ok.health = { ...HEALTH, faults: [{ ...HEALTH.faults[0], beganMs: 4004, appliedMs: 4010, lateMs: 4 }] };
    const md = renderMarkdown(ok);
    assert.doesNotMatch(md, /⚠️ \|/);
    assert.doesNotMatch(md, /inconclusive/);
    assert.doesNotMatch(renderPlainSummary(ok, { color: false }), /Harness health/);
  });
});

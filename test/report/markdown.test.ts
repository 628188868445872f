import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { code, errorsByKind, inline, renderMarkdown } from '../../src/report/markdown.ts';
import { exampleResult } from './helpers.ts';
import type { MeshEvent } from '../../src/contract/mesh-event.ts';

const tableRows = (md: string, header: string): string[][] => {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  assert.ok(start >= 0, `no table with header ${header}`);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(2, -2).split(/ (?<!\\)\| /));
  }
  return rows;
};

describe('renderMarkdown', () => {
  const result = exampleResult();
  const md = renderMarkdown(result);

  it('titles the run with ✅/❌, the scenario and its description', () => {
    const lines = md.split('\n');
    assert.equal(lines[0], '## ❌ store-slow-replica — 3 of 4 expectations held');
    assert.equal(lines[2], result.scenario.description);
    const passed = exampleResult();
    passed.passed = true;
    assert.match(renderMarkdown(passed), /^## ✅ store-slow-replica/);
  });

  it('a table row per expectation: status, expectation, measured, window', () => {
    assert.deepEqual(tableRows(md, '| Status | Expectation'), [
      ['✅ held', '`success_rate(client) >= 99%`', '99.4%', '0s–10s'],
      ['❌ failed', '`p99(client) < 100ms between 2s and 8s`', '135ms', '2s–8s'],
      ['✅ held', '`retry_ratio(front -> store) <= 20%`', '15.06%', '0s–10s'],
      ['✅ held', '`requests(front -> store-1) > 0 during s1-slow`', '75', '4s–7s'],
    ]);
  });

  it('explains each failure', () => {
    assert.match(md, /\*\*Why it failed\*\*\n\n- `p99\(client\) < 100ms between 2s and 8s`: p99\(client\) was 135ms over 2s–8s; needed < 100ms \(slowest 202ms; 3 responses were 504\)\n/);
  });

  it('the events that decided a failure are listed under it', () => {
    const r = exampleResult();
    const overflow: MeshEvent = { seq: 9, at: r.timeline.t0 + 6930, instance: 'front-0', type: 'circuit-breaker-overflow', data: { cluster: 'store', count: 3, intervalMs: 1000, limits: { maxConnections: 1, maxPendingRequests: 0, maxRequests: 1, maxRetries: 3 } } };
    r.verdicts[1] = { ...r.verdicts[1], events: [{ atMs: 6930, event: overflow }] };
    assert.match(
      renderMarkdown(r),
      /^- `p99\(client\) .*\n {2}- 6\.93s front-0 `circuit-breaker-overflow`: 3 request\(s\) to store refused by its circuit breaker \(maxConnections 1, maxPendingRequests 0, maxRequests 1\) within 1s: 503 UO$/m,
    );
  });

  it('a fault table: target, what, planned and when it took effect', () => {
    assert.deepEqual(tableRows(md, '| Fault |'), [
      ['`s1-slow`', '`store-1`', 'latency toxic (latency 250, jitter 0, downstream)', '4s–7s', '4.012s–7.009s', 'latency toxic (downstream, latency=250 jitter=0) on 1 link(s): front-0→store-1; removed from 1 link(s)'],
    ]);
  });

  it("the effective mesh policies, the profile's defaults filled in", () => {
    assert.match(md, /\*\*Mesh policies\*\* \(profile `envoy`/);
    const rows = tableRows(md, '| Destination |');
    assert.deepEqual(rows.map((r) => r.slice(0, 4)), [
      ['`front`', '15s', 'none', 'round_robin'],
      ['`store`', '200ms', '1 on 5xx, reset, connect-failure; per try 100ms; budget 20% (min 3)', 'round_robin'],
    ]);
    assert.equal(rows[1][4], '1024 connections, 1024 pending, 1024 requests, 3 retries');
    assert.equal(rows[1][6], '50%');
  });

  it('a load line: requests, achieved vs target rate, errors by kind', () => {
    assert.match(md, /^\*\*Load:\*\* 498 requests to `front` at 49\.8\/s \(target 50\/s\) · 3 errors: 504 ×3$/m);
  });

  it('a row per service over the run, from the timeline', () => {
    const rows = tableRows(md, '| Service |');
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => r.slice(0, 4)), [
      ['front', '1', '49.8/s', '99.4%'],
      ['store', '2', '57.3/s', '100%'],
    ]);
    for (const r of rows) for (const c of r.slice(4)) assert.match(c, /^[\d.]+m?s$/);
  });

  it('the seed and how to re-run', () => {
    assert.match(md, /Seed `42` · runtime `local`/);
    assert.match(md, /Re-run: `npx meshproof run scenarios\/store-slow-replica\.yaml`/);
  });

  it('a run that did not complete says so', () => {
    const r = exampleResult();
    r.error = 'store-1 did not start';
    assert.match(renderMarkdown(r), /^> ⚠️ \*\*The run did not complete:\*\* store-1 did not start$/m);
  });

  it("a multi-line error (a program's last lines of output) keeps its lines, in a block", () => {
    const r = exampleResult();
    r.error = 'front-0 (service front) did not start: it exited (exit code 1) before it was ready\n  command: python3 app.py\n  | Traceback (most recent call last):\n  | ```not a fence```';
    const md = renderMarkdown(r);
    assert.match(md, /^> ⚠️ \*\*The run did not complete:\*\* front-0 \(service front\) did not start: it exited \(exit code 1\) before it was ready$/m);
    assert.match(md, /^````text\n  command: python3 app.py\n  \| Traceback \(most recent call last\):\n  \| ```not a fence```\n````$/m);
  });

  it('names the log file of every instance that ran its own program', () => {
    const r = exampleResult();
    r.instances = [
      { instance: 'front-0', service: 'front', ports: {}, log: 'logs/front-0.log' },
      { instance: 'store-0', service: 'store', ports: {} },
    ];
    assert.match(renderMarkdown(r), /^\*\*Output of your programs\*\* \(in the report folder\): `logs\/front-0\.log` \(front-0\)$/m);
    assert.doesNotMatch(renderMarkdown(exampleResult()), /Output of your programs/);
  });

  it('no data shows a dash', () => {
    const r = exampleResult();
    r.verdicts[2] = { ...r.verdicts[2], status: 'no_data', measured: NaN };
    assert.deepEqual(tableRows(renderMarkdown(r), '| Status |')[2].slice(0, 3), ['⚠️ no data', '`retry_ratio(front -> store) <= 20%`', '—']);
  });

  it('keeps tables intact and markup inert', () => {
    const r = exampleResult();
    r.verdicts[0].expectation.text = 'a | b';
    r.scenario.description = 'uses <img src=x> & *stars* but p99 < 5ms -> fine';
    const out = renderMarkdown(r);
    assert.equal(tableRows(out, '| Status |')[0][1], '`a \\| b`');
    assert.match(out, /^uses &lt;img src=x> & \\\*stars\\\* but p99 < 5ms -> fine$/m);
  });

  it('helpers', () => {
    assert.equal(code('a`b'), '``a`b``');
    assert.equal(inline('&amp; <b> _x_ snake_case'), '&amp;amp; &lt;b> \\_x\\_ snake_case');
    assert.equal(errorsByKind({ requests: 10, errors: 0, status: {}, errorKinds: {}, targetRate: 1, achievedRate: 1 }), 'no errors');
    assert.equal(
      errorsByKind({ requests: 10, errors: 7, status: { '200': 3, '503': 2, error: 5 }, errorKinds: { ECONNRESET: 4, timeout: 1 }, targetRate: 1, achievedRate: 1 }),
      '7 errors: ECONNRESET ×4, 503 ×2, timeout ×1',
    );
    assert.equal(
      errorsByKind({ requests: 10, errors: 5, status: { error: 5 }, errorKinds: {}, targetRate: 1, achievedRate: 1 }),
      '5 errors: no response ×5',
    );
  });

  it('budgets per edge: a table only when a rate limit, a quota or a deadline refused something on an edge', () => {
    assert.doesNotMatch(md, /\| Edge \| Requests/, 'the example run had none');
    const limited = exampleResult();
    const edge = limited.timeline.series['edge:front->store'];
    assert.ok(edge && edge.length > 2, 'the example has the front -> store edge');
    edge[1] = { ...edge[1], status: { ...edge[1].status, 429: 7 } };
    edge[2] = { ...edge[2], flags: { ...edge[2].flags, UT: 3, DE: 3 } };
    const requests = edge.reduce((n, b) => n + b.requests, 0);
    const rows = tableRows(renderMarkdown(limited), '| Edge | Requests');
    assert.deepEqual(rows.find((r) => r[0].includes('store')), ['front → store', String(requests), '7', '3']);
  });
});

import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { renderPlainSummary } from '../../src/report/plain.ts';
import { honestyOf } from '../helpers/load-honesty.ts';
import { exampleResult } from './helpers.ts';

const ANSI = /\x1b\[[0-9;]*m/g;

describe('renderPlainSummary', () => {
  it('one line per verdict, then the tally and the report folder', () => {
    const out = renderPlainSummary(exampleResult(), { color: false, reportDir: 'reports/20260314-092651-store-slow-replica' });
    assert.doesNotMatch(out, ANSI);
    const lines = out.split('\n');
    assert.equal(lines.length, 12);
    assert.match(lines[0], /^✔ held {4}success_rate\(client\) >= 99% — success_rate\(client\) was 99\.4% \(495 of 498 ok\) over 0s–10s; needed >= 99%$/);
    assert.match(lines[1], /^✘ failed {2}p99\(client\) < 100ms between 2s and 8s — p99\(client\) was 135ms over 2s–8s; needed < 100ms/);
    assert.match(lines[2], /^✔ held {4}retry_ratio\(front -> store\) <= 20% — .* was 15\.06%/);
    assert.match(lines[3], /^✔ held {4}requests\(front -> store-1\) > 0 during s1-slow — .* was 75 over 4s–7s \(during s1-slow\)/);
    assert.equal(lines[4], '');
    assert.equal(lines[5], 'Faults:');
    // When the fault really held, against its plan, and what applying it did.
    assert.match(lines[6], /^ {2}s1-slow {2}4\.012s–7\.009s \(planned 4s–7s\) {2}latency toxic \(latency 250, jitter 0, downstream\) on store-1 — latency toxic .* on 1 link\(s\): front-0→store-1/);
    assert.equal(lines[7], '');
    // The load as delivered: the figures a reader needs before trusting any client number.
    assert.match(lines[8], /^Load: 50\/s of 50\/s \(100% of the intended requests sent\), 0 dropped, late p99 0\.17ms max 0\.17ms, inter-arrival CV 0(\.0\d)?, busiest 10ms 1×$/);
    assert.equal(lines[9], '');
    assert.equal(lines[10], '3 held, 1 failed — store-slow-replica');
    assert.equal(lines[11], 'Report: reports/20260314-092651-store-slow-replica');
  });

  it('a load that fell short of the declared one says how', () => {
    const r = exampleResult();
    r.load.honesty = honestyOf({ rate: 100, seconds: 10, cap: 10, dropEvery: 20 });
    const out = renderPlainSummary(r, { color: false });
    assert.match(out, /\nLoad: 95\/s of 100\/s \(95% of the intended requests sent\), 50 dropped \(50 at the cap, 0 late\), /);
    assert.match(out, /\n {2}⚠ the load fell short of the declared one: 50 dropped \(50 at the cap of 10 in flight, 0 late\); sent 95\.0% of the 1000 requests the schedule intended; inter-arrival CV 0\.\d+ \(uniform: at most 0\.1\)\n/);
  });

  it('a result written before load honesty existed has no load line', () => {
    const r = exampleResult();
    delete r.load.honesty;
    assert.doesNotMatch(renderPlainSummary(r, { color: false }), /Load:/);
  });

  it('a scenario without faults has no fault section', () => {
    const r = exampleResult();
    r.scenario.faults = [];
    const out = renderPlainSummary(r, { color: false });
    assert.doesNotMatch(out, /Faults:/);
    assert.equal(out.split('\n').length, 8);
  });

  it('colours only when asked, and the text is the same underneath', () => {
    const plain = renderPlainSummary(exampleResult(), { color: false, reportDir: null });
    const colored = renderPlainSummary(exampleResult(), { color: true, reportDir: null });
    assert.match(colored, /\x1b\[32m✔ held/);
    assert.match(colored, /\x1b\[31m✘ failed/);
    assert.equal(colored.replace(ANSI, ''), plain);
    assert.doesNotMatch(plain, /Report:/);
  });

  it('no data counts as failed and is named; a run error is shown', () => {
    const r = exampleResult();
    r.verdicts[0] = { ...r.verdicts[0], status: 'no_data', measured: NaN, explanation: 'nothing was measured for success_rate(client): …' };
    r.error = 'the load could not start';
    const out = renderPlainSummary(r, { color: false });
    assert.match(out, /^✘ no data {2}success_rate\(client\) >= 99% — nothing was measured/m);
    assert.match(out, /^✘ the run did not complete: the load could not start$/m);
    assert.match(out, /^2 held, 2 failed \(1 with no data\) — store-slow-replica$/m);
    assert.match(renderPlainSummary(r, { color: true }), /\x1b\[33m✘ no data/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { renderHtml } from '../../../src/report/html/render-html.ts';
import { exampleResult } from '../helpers.ts';
import { markedResult } from './helpers.ts';
import type { MeshEvent } from '../../../src/contract/mesh-event.ts';

const count = (s: string, re: RegExp) => s.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('renderHtml', () => {
  it('self-contained: inline style and SVG, no script, no external resource, a policy that forbids fetching any', () => {
    const html = renderHtml(markedResult());
    assert.match(html, /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
    // Every http(s) URL in the page is an SVG namespace, which is a name, not a fetch.
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^"\s<)]+/g))], ['http://www.w3.org/2000/svg']);
  });

  it('three charts (rps, latency, errors) per scope: the client, each edge, each service', () => {
    const html = renderHtml(markedResult());
    const scopes = ['client', 'edge:client-&gt;front', 'edge:front-&gt;store', 'service:front', 'service:store'];
    for (const s of scopes) for (const m of ['rps', 'latency', 'errors']) assert.ok(html.includes(`data-scope="${s}" data-metric="${m}"`), `${s} ${m}`);
    assert.equal(count(html, /<svg class="chart"/), scopes.length * 3);
    assert.equal(count(html, /class="series line s-p99"/), scopes.length);
    assert.equal(count(html, /class="series line s-retries"/), 1, 'retries on the edge that retried');
  });

  it("a service's rps chart also draws each instance, so one dropping out shows", () => {
    const html = renderHtml(markedResult());
    const store = /<svg class="chart"[^>]*data-scope="service:store" data-metric="rps">.*?<\/svg>/.exec(html)?.[0] ?? '';
    assert.match(store, /class="series line s-i0 inst" data-series="store-0"/);
    assert.match(store, /class="series line s-i1 inst" data-series="store-1"/);
    assert.match(html, /<div class="scope" id="service-store" data-scope="service:store">/);
    assert.doesNotMatch(html, /data-series="front-0"/, 'a service of one instance: no separate line');
  });

  it('faults as bands on every chart; state changes marked where they matter', () => {
    const html = renderHtml(markedResult());
    assert.equal(count(html, /<rect class="fault-band c0" data-fault="s1-slow"/), 15);
    assert.equal(count(html, /<rect class="fault-band c1 not-applied" data-fault="s0-crash"/), 15);
    // store-1's ejection concerns store: its service charts, the edge into it, and the client's.
    assert.equal(count(html, /<g class="mark mark-ejected" data-kind="ejected" data-instance="store-1">/), 9);
    assert.equal(count(html, /class="mark mark-killed"/), 9);
    assert.match(html, /fault <code>s0-crash<\/code> \(never took effect\)/);
  });

  it('the expectations table: verdict, sentence with its line, measured value, window and evidence', () => {
    const html = renderHtml(markedResult());
    const rows = html.match(/<tr class="verdict [^"]+"[^>]*>.*?<\/tr>/g) ?? [];
    assert.equal(rows.length, 4);
    const failed = rows.find((r) => r.includes('data-status="failed"'))!;
    assert.match(failed, /data-expectation="p99\(client\) &lt; 100ms between 2s and 8s"/);
    assert.match(failed, /<span class="pill failed">✘ failed<\/span>/);
    assert.match(failed, /<td class="measured">135ms<\/td><td class="window">2s–8s<\/td>/);
    assert.match(failed, /<details open><summary>evidence<\/summary>/, 'a failure shows its evidence');
    assert.match(failed, /<span class="k">p99<\/span> 134\.897/);
    assert.match(failed, /scenarios\/store-slow-replica\.yaml:\d+:\d+/);
    const held = rows.find((r) => r.includes('data-status="held"'))!;
    assert.match(held, /<details><summary>evidence<\/summary>/, 'a held one keeps it folded');
  });

  it('decisive events of a verdict are listed with their time', () => {
    const r = markedResult();
    const skipped: MeshEvent = { seq: 7, at: r.timeline.t0 + 4200, instance: 'front-0', type: 'ejection-skipped', data: { cluster: 'store', endpoint: 'store-1', reason: 'consecutive_5xx', consecutive: 5, ejected: 1, total: 2, maxEjectionPercent: 0.5 } };
    r.verdicts[1].events = [{ atMs: 4200, event: skipped }, { atMs: 4300, instance: 'store-0', type: 'killed', message: 'SIGKILL sent' }];
    assert.match(
      renderHtml(r),
      /<ol class="decisive"><li><span class="t">4\.2s<\/span> <span class="who">front-0<\/span> <code>ejection-skipped<\/code> store-1 not ejected despite 5 consecutive 5xx: 1 of 2 endpoint\(s\) already ejected and one more would exceed outlierDetection\.maxEjectionPercent 50%<\/li><li><span class="t">4\.3s<\/span> <span class="who">store-0<\/span> <code>killed<\/code> SIGKILL sent<\/li><\/ol>/,
    );
  });

  it('re-rendering from result.json (where NaN became null) gives the same page', () => {
    const r = markedResult();
    r.verdicts[0] = { ...r.verdicts[0], status: 'no_data', measured: NaN };
    const again = JSON.parse(JSON.stringify(r));
    assert.equal(again.verdicts[0].measured, null);
    assert.equal(renderHtml(again), renderHtml(r));
    assert.match(renderHtml(again), /<span class="pill no-data">⚠ no data<\/span>/);
  });

  it('a run that stopped before its load: no charts, and it says why', () => {
    const r = exampleResult();
    r.error = 'interrupted before the load started';
    r.timeline.series = {};
    const html = renderHtml(r);
    assert.doesNotMatch(html, /<svg/);
    assert.match(html, /Nothing was measured: the run stopped before its load started\./);
  });

  it('says when the run did not complete; escapes what the scenario says', () => {
    const r = exampleResult();
    r.error = 'interrupted: <the run> was stopped';
    r.scenario.description = 'A & B <script>alert(1)</script>';
    const html = renderHtml(r);
    assert.match(html, /<div class="alert"><strong>The run did not complete:<\/strong> interrupted: &lt;the run&gt; was stopped<\/div>/);
    assert.match(html, /A &amp; B &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});

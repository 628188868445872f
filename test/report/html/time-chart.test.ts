import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { linePath, timeChart } from '../../../src/report/html/time-chart.ts';
import type { FaultBand, StateMark } from '../../../src/report/html/run-marks.ts';

const band = (over: Partial<FaultBand> = {}): FaultBand => ({ name: 's1-slow', fromMs: 4000, toMs: 7000, applied: true, detail: 'latency toxic', colour: 0, ...over });
const mark: StateMark = { atMs: 5500, instance: 'store-1', service: 'store', kind: 'ejected', text: 'store-1 ejected: 5 consecutive 5xx (seen by front-0)' };

/** The x attribute of the first element matching `re`. */
const attr = (svg: string, re: RegExp, name: string) => Number(new RegExp(`${re.source}[^>]*? ${name}="([\\d.]+)"`).exec(svg)?.[1]);

describe('linePath', () => {
  it('one sub-path per run of finite values: a NaN (nothing measured that second) leaves a gap', () => {
    const d = linePath([1, 2, NaN, 4, 5], (i) => i * 10, (v) => v);
    assert.equal(d, 'M0 1 L10 2 M30 4 L40 5');
  });

  it('a lone value is still visible (a dot-length segment)', () => {
    assert.equal(linePath([NaN, 3, NaN], (i) => i, (v) => v), 'M1 3 h0.01');
    assert.equal(linePath([], (i) => i, (v) => v), '');
  });
});

describe('timeChart', () => {
  const chart = (over: Partial<Parameters<typeof timeChart>[0]> = {}) =>
    timeChart({
      seconds: 10,
      series: [{ label: 'rps', cls: 's-rps', values: [100, 101, 99, 100, 40, 41, 100, 100, 100, 100] }],
      format: (v) => `${v}/s`,
      bands: [band()],
      marks: [mark],
      label: 'client: requests per second',
      attributes: { 'data-scope': 'client', 'data-metric': 'rps' },
      ...over,
    });

  it('an SVG with its name and attributes, axis labels, the series as a path', () => {
    const svg = chart();
    assert.match(svg, /^<svg class="chart" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 360 180" role="img" aria-label="client: requests per second" data-scope="client" data-metric="rps">/);
    assert.match(svg, /<\/svg>$/);
    assert.match(svg, /<path class="series line s-rps" data-series="rps" d="M[^"]+"/);
    for (const label of ['0/s', '50/s', '100/s', '150/s', '0s', '10s']) assert.ok(svg.includes(`>${label}</text>`), label);
  });

  it('a fault is a band over its seconds, behind the data, with its name and what it did as a tooltip', () => {
    const svg = chart();
    // x axis: 0s at 48, 10s at 350 (360 - 10): 30.2px a second.
    assert.equal(attr(svg, /<rect class="fault-band c0" data-fault="s1-slow"/, 'x'), 168.8);
    assert.equal(attr(svg, /<rect class="fault-band c0" data-fault="s1-slow"/, 'width'), 90.6);
    assert.match(svg, /<title>s1-slow: 4s–7s — latency toxic<\/title>/);
    assert.ok(svg.indexOf('fault-band') < svg.indexOf('class="series'), 'drawn before the series');
    assert.match(svg, /<text class="band-label"[^>]*>s1-slow<\/text>/);
  });

  it('a fault that never took effect is a hollow band at its planned time', () => {
    assert.match(chart({ bands: [band({ applied: false, detail: 'never took effect' })] }), /class="fault-band c0 not-applied"[^>]*><title>s1-slow: 4s–7s \(planned; never took effect\)/);
  });

  it('a state change is a mark at its time, with a glyph and who saw it', () => {
    const svg = chart();
    assert.match(svg, /<g class="mark mark-ejected" data-kind="ejected" data-instance="store-1"><title>5\.5s store-1 ejected: 5 consecutive 5xx \(seen by front-0\)<\/title><line x1="214.1" x2="214.1"/);
    assert.match(svg, />⊘<\/text><\/g>/);
  });

  it('marks at about the same time: lines at their times, glyphs side by side', () => {
    const svg = chart({ marks: [mark, { ...mark, atMs: 5550, kind: 'killed', instance: 'store-0', text: 'store-0 killed' }] });
    assert.match(svg, /<line x1="214\.1" x2="214\.1"[^>]*\/><text x="214\.1"[^>]*>⊘<\/text>/);
    assert.match(svg, /<line x1="215\.6" x2="215\.6"[^>]*\/><text x="223\.1"[^>]*>✖<\/text>/);
  });

  it('bars: one per second with something in it; nothing for an empty second', () => {
    const svg = chart({ series: [{ label: 'errors/s', cls: 's-errors', values: [0, 0, 3, 0, NaN, 12, 0, 0, 0, 0], draw: 'bars' }] });
    const bars = /<g class="series bars s-errors" data-series="errors\/s">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    assert.equal(bars.match(/<rect /g)?.length, 2);
  });

  it('a hover column per second, its tooltip giving every series that second', () => {
    const svg = chart({ series: [{ label: 'p50', cls: 's-p50', values: Array(10).fill(4) }, { label: 'p99', cls: 's-p99', values: [...Array(9).fill(20), NaN] }] });
    const cols = /<g class="hover">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    assert.equal(cols.match(/<rect /g)?.length, 10);
    assert.match(cols, /<title>0s–1s: p50 4\/s · p99 20\/s<\/title>/);
    assert.match(cols, /<title>9s–10s: p50 4\/s · p99 –<\/title>/);
  });

  it('a run that stopped early: a grey area from that second, and no data drawn in it (not zeros)', () => {
    const svg = chart({ stoppedAtSecond: 6 });
    assert.match(svg, /<rect class="stopped" x="229.2" y="16" width="120.8" height="142"><title>the run stopped here: nothing measured after 6s<\/title><\/rect>/);
    assert.match(svg, />stopped<\/text>/);
    const d = /class="series line s-rps" data-series="rps" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    assert.equal(d.split(/[ML]/).filter(Boolean).length, 6, d);
    assert.match(svg, /<title>7s–8s: rps –<\/title>/);
  });

  it('text is escaped', () => {
    const svg = chart({ label: '<b>&', bands: [band({ name: 'a"<b' })] });
    assert.match(svg, /aria-label="&lt;b&gt;&amp;"/);
    assert.match(svg, /data-fault="a&quot;&lt;b"/);
    assert.doesNotMatch(svg, /<b>/);
  });
});

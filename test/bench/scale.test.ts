import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { formatScaleReport, goalsFor, parseTopologies, parseVariants, resultOf, scaleCases, type ScaleReport, type ScaleRound } from '../../bench/scale.ts';

const share = { loadAvg: 1.5, cpuBusy: 0.2 };
const round = (over: Partial<ScaleRound>): ScaleRound => ({ round: 1, readyMs: 1000, startMs: 900, pushMs: 100, stopMs: 50, peakRssBytes: 2 * 1024 ** 3, harnessRssBytes: 1e8, processes: 41, before: share, during: { loadAvg: 3, cpuBusy: 0.9 }, failed: null, ...over });

describe('the scale bench', () => {
  test('topologies parse from SERVICESxREPLICAS lists, and a bad one says what is valid', () => {
    assert.deepEqual(parseTopologies('30x3,10×2'), [
      { services: 30, replicas: 3 },
      { services: 10, replicas: 2 },
    ]);
    assert.throws(() => parseTopologies('30x0'), /SERVICESxREPLICAS.*"30x0"/);
    assert.throws(() => parseTopologies('big'), /"big"/);
  });

  test('goals are the issue’s: 30x3 local 6 s and 4 GiB, 10x2 local 3 s, 10x2 Docker 15 s', () => {
    assert.deepEqual(goalsFor({ services: 30, replicas: 3 }, 'local'), { readyMs: 6000, rssBytes: 4 * 1024 ** 3 });
    assert.deepEqual(goalsFor({ services: 10, replicas: 2 }, 'local'), { readyMs: 3000, rssBytes: null });
    assert.deepEqual(goalsFor({ services: 10, replicas: 2 }, 'docker'), { readyMs: 15_000, rssBytes: null });
    assert.equal(goalsFor({ services: 5, replicas: 1 }, 'local'), null);
  });

  test('cases: before vs now per topology, cold cache only for small ones, Docker only for 10x2 and only when available', () => {
    const ids = scaleCases(parseTopologies('30x3,10x2'), { docker: true, cold: true }).map((c) => c.id);
    assert.deepEqual(ids, ['30x3 local before', '30x3 local now', '30x3 local hosted', '10x2 local before', '10x2 local now', '10x2 local hosted', '10x2 local before cold cache', '10x2 local now cold cache', '10x2 docker']);
    assert.ok(!scaleCases(parseTopologies('10x2'), { docker: false, cold: false }).some((c) => c.runtime === 'docker' || c.cache === 'cold'));
    // Hosted has no cold case (its hosts start no sooner than a sidecar of the `now` case does).
    assert.deepEqual(scaleCases(parseTopologies('10x2'), { docker: false, cold: true, variants: parseVariants('now,hosted') }).map((c) => c.id), ['10x2 local now', '10x2 local hosted', '10x2 local now cold cache']);
    assert.throws(() => parseVariants('now,shared'), /--scale-variants takes before, now, hosted .*got "shared"/);
  });

  test('a failed round misses the goal and leaves no median; RSS is judged on the largest peak', () => {
    const [c] = scaleCases(parseTopologies('30x3'), { docker: false, cold: false });
    const failed = resultOf(c, [round({ readyMs: 2000 }), round({ readyMs: null, startMs: null, pushMs: null, failed: 'ingress did not start' })]);
    assert.equal(failed.medianReadyMs, null);
    assert.equal(failed.met.ready, false);
    const ok = resultOf(c, [round({ readyMs: 5000, peakRssBytes: 3 * 1024 ** 3 }), round({ readyMs: 7000, peakRssBytes: 5 * 1024 ** 3 })]);
    assert.equal(ok.medianReadyMs, 6000);
    assert.equal(ok.met.ready, true);
    assert.equal(ok.maxPeakRssBytes, 5 * 1024 ** 3);
    assert.equal(ok.met.rss, false);
  });

  test('the table puts each case beside its goal, says failures, and gives now ÷ before', () => {
    const [before, now, hosted] = scaleCases(parseTopologies('10x2'), { docker: false, cold: false });
    const report: ScaleReport = {
      at: '2026-01-01T00:00:00Z',
      durationS: 10,
      machine: { cores: 2, model: 'test cpu', node: 'v24', loadAvgStart: [1, 1, 1], loadAvgEnd: [2, 2, 2] },
      settings: { rounds: 1, bootConcurrency: 16, topologies: [{ services: 10, replicas: 2 }], docker: 'off' },
      results: [resultOf(before, [round({ readyMs: 4000 })]), resultOf(now, [round({ readyMs: 2000 })]), resultOf(hosted, [round({ readyMs: 1000 })])],
      unavailable: [{ case: '10x2 docker', reason: 'no engine' }],
    };
    const text = formatScaleReport(report);
    assert.match(text, /10x2 local before\s+4\.00 s .*≤ 3\.00 s\s+✗/);
    assert.match(text, /10x2 local now\s+2\.00 s .*≤ 3\.00 s\s+✓/);
    assert.match(text, /10x2 local now ÷ before: ready 0\.50×, peak RSS 1\.00×/);
    assert.match(text, /10x2 local hosted ÷ now: ready 0\.50×/);
    assert.match(text, /load average 1\.00 1\.00 1\.00 at the start/);
    assert.match(text, /1\.5→3\.0/);
    assert.match(text, /20%→90%/);
    assert.match(text, /10x2 docker: not measured: no engine/);
  });
});

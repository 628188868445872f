import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import {
  formatCount,
  formatDuration,
  formatLatency,
  formatPair,
  formatPercent,
  formatRate,
  formatValue,
  formatSize,
  formatWindow,
} from '../../src/util/format.ts';
import { parseDuration } from '../../src/scenario/duration.ts';

describe('format', () => {
  it('percentages', () => {
    assert.equal(formatPercent(1195 / 1200), '99.58%');
    assert.equal(formatPercent(0.995), '99.5%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(0.2), '20%');
    assert.equal(formatPercent(NaN), 'n/a');
  });
  it('latencies', () => {
    assert.equal(formatLatency(312.4), '312ms');
    assert.equal(formatLatency(42.46), '42.5ms');
    assert.equal(formatLatency(4.2), '4.2ms');
    assert.equal(formatLatency(0.351), '0.35ms');
    assert.equal(formatLatency(1250), '1.25s');
    assert.equal(formatLatency(NaN), 'n/a');
  });
  it('rates and counts', () => {
    assert.equal(formatRate(200), '200/s');
    assert.equal(formatRate(199.63), '199.6/s');
    assert.equal(formatRate(0.25), '0.25/s');
    assert.equal(formatCount(1200), '1200');
  });
  it('durations and windows', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(2000), '2s');
    assert.equal(formatDuration(2500), '2.5s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(120_000), '2m');
    assert.equal(formatDuration(3_900_000), '1h5m');
    assert.equal(formatDuration(-1500), '-1.5s');
    assert.equal(formatDuration(NaN), 'n/a');
    assert.equal(formatWindow({ fromMs: 2000, toMs: 8000 }), '2s–8s');
  });
  it('durations read back as the scenario reader reads them, to the microsecond', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [0.5, '500us'],
      [1.5, '1.5ms'],
      [150, '150ms'],
      [999.999, '999.999ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [1234, '1.234s'],
      [60_000, '1m'],
      [90_000, '1m30s'],
      [90_500, '1m30.5s'],
      [7_200_000, '2h'],
    ];
    for (const [ms, text] of cases) {
      assert.equal(formatDuration(ms), text, String(ms));
      assert.equal(parseDuration(text), ms, text);
    }
    assert.equal(formatDuration(1234.5678), '1.234568s', 'to the microsecond, as the reader keeps it');
    assert.equal(formatDuration(60_500.5), '1m0.5005s');
    assert.equal(parseDuration('1m0.5005s'), 60_500.5);
  });
  it('sizes in the shortest exact form', () => {
    assert.equal(formatSize(65_536), '64KiB');
    assert.equal(formatSize(1_000_000), '1MB');
    assert.equal(formatSize(1_048_576), '1MiB');
    assert.equal(formatSize(1500), '1500B');
    assert.equal(formatSize(0), '0B');
  });
  it('values by unit', () => {
    assert.equal(formatValue(0.5, 'ratio'), '50%');
    assert.equal(formatValue(250, 'ms'), '250ms');
    assert.equal(formatValue(50, 'rps'), '50/s');
    assert.equal(formatValue(3, 'count'), '3');
  });
  it('pairs: different numbers never print the same', () => {
    assert.deepEqual(formatPair(0.99499, 0.995, 'ratio'), ['99.499%', '99.5%']);
    assert.deepEqual(formatPair(0.999996, 1, 'ratio'), ['99.9996%', '100%']);
    assert.deepEqual(formatPair(250.2, 250, 'ms'), ['250.2ms', '250ms']);
    assert.deepEqual(formatPair(0.995, 0.995, 'ratio'), ['99.5%', '99.5%']);
    assert.deepEqual(formatPair(NaN, 0.995, 'ratio'), ['n/a', '99.5%']);
  });
});

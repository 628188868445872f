import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parseDuration, readDuration } from '../../src/scenario/duration.ts';
import { parsePercent, readPercent } from '../../src/scenario/percent.ts';
import { parseRate, readRate } from '../../src/scenario/rate.ts';
import { formatPercent, formatRate } from '../../src/util/format.ts';

describe('durations', () => {
  test('units people write, to milliseconds', () => {
    const cases: Array<[string, number]> = [
      ['150ms', 150],
      ['2s', 2000],
      ['1.5s', 1500],
      ['1.1s', 1100],
      ['0.7s', 700],
      ['.5s', 500],
      ['1m', 60_000],
      ['1h', 3_600_000],
      ['1m30s', 90_000],
      ['500us', 0.5],
      ['500µs', 0.5],
      ['1.5ms', 1.5],
      ['0ms', 0],
      [' 10s ', 10_000],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  test('a bare number is refused, suggesting both units', () => {
    const r = readDuration(150);
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^found "150" \(a number\); expected a duration such as 150ms or 10s \(a unit is required: "150ms" or "150s"\)$/);
    assert.throws(() => parseDuration('150'), { name: 'RangeError', message: /found "150" \(a number\).*"150ms" or "150s"/ });
  });

  test('other mistakes say what was found and what is valid', () => {
    assert.throws(() => parseDuration('10 sec'), /found "10 sec"; expected a duration such as 150ms or 10s \(units: us, ms, s, m, h/);
    assert.throws(() => parseDuration('10 s'), /write it without spaces: "10s"/);
    assert.throws(() => parseDuration('-5s'), /cannot be negative/);
    assert.throws(() => parseDuration('10S'), /expected a duration/);
    assert.throws(() => parseDuration('1s2'), /expected a duration/);
    assert.throws(() => parseDuration(''), /expected a duration/);
    assert.match((readDuration(true) as { message: string }).message, /found true \(a boolean\)/);
    assert.match((readDuration(null) as { message: string }).message, /found nothing \(null\)/);
  });
});

describe('percentages', () => {
  test('to fractions, exactly', () => {
    assert.equal(parsePercent('99.5%'), 0.995);
    assert.equal(parsePercent('99.9%'), 0.999);
    assert.equal(parsePercent('7%'), 0.07);
    assert.equal(parsePercent('100%'), 1);
    assert.equal(parsePercent('0%'), 0);
    assert.equal(parsePercent('20 %'), 0.2);
  });

  test("a bare number n is n percent, as Istio's percentage.value", () => {
    assert.equal(parsePercent(10), 0.1);
    assert.equal(parsePercent(0.1), 0.001);
    assert.equal(parsePercent('10'), 0.1);
  });

  test('out of range and malformed', () => {
    assert.throws(() => parsePercent('150%'), /found "150%"; a percentage here is at most 100%/);
    assert.throws(() => parsePercent(-1), /cannot be negative/);
    assert.throws(() => parsePercent('-1%'), /cannot be negative/);
    assert.throws(() => parsePercent('often'), /found "often"; expected a percentage such as 10% or 99.5%/);
    assert.equal(readPercent('250%', { max: Infinity }).ok, true);
  });

  test('formatPercent', () => {
    assert.equal(formatPercent(0.995), '99.5%');
    assert.equal(formatPercent(0.2), '20%');
    assert.equal(formatPercent(0.07), '7%');
    assert.equal(formatPercent(1), '100%');
  });
});

describe('rates', () => {
  test('per second, per minute, per hour; a bare number is per second', () => {
    assert.equal(parseRate('200/s'), 200);
    assert.equal(parseRate('200rps'), 200);
    assert.equal(parseRate('12000/m'), 200);
    assert.equal(parseRate('3600/h'), 1);
    assert.equal(parseRate(150), 150);
    assert.equal(parseRate('150'), 150);
    assert.equal(parseRate('0.5/s'), 0.5);
  });

  test('malformed rates', () => {
    assert.throws(() => parseRate('200 per second'), /found "200 per second"; expected a rate such as 200\/s, 200rps or 12000\/m/);
    assert.throws(() => parseRate('-5/s'), /cannot be negative/);
    assert.throws(() => parseRate('fast'), /expected a rate/);
    assert.equal(readRate([1]).ok, false);
  });

  test('formatRate', () => {
    assert.equal(formatRate(200), '200/s');
    assert.equal(formatRate(12000 / 60), '200/s');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { CpuSampler, parseProcStat } from '../../src/observe/cpu-sampler.ts';

/** /proc/stat with the aggregate line's counters (user nice system idle iowait irq softirq steal) and two cores. */
const stat = (user: number, idle: number, steal = 0, iowait = 0) => `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 ${steal} 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\nintr 1 2 3\n`;

describe('CpuSampler', () => {
  test('parses the aggregate line: idle counts iowait, steal is its own share', () => {
    assert.deepEqual(parseProcStat(stat(100, 300, 20, 80)), { total: 500, idle: 380, steal: 20, cores: 2 });
    assert.equal(parseProcStat('intr 1 2 3\n'), null);
  });

  test('each sample is the share of CPU time not idle since the previous one; the summary is their mean and max', () => {
    const reads = [stat(0, 0), stat(50, 50), stat(150, 50, 0), stat(160, 130, 10)];
    const sampler = new CpuSampler({ readStat: () => reads.shift()!, intervalMs: 60_000 });
    sampler.start();
    sampler.sample(); // 50 busy of 100
    sampler.sample(); // 100 of 100
    sampler.stop(); // 20 busy of 100 (10 of it stolen)
    assert.deepEqual(sampler.summary(), { cores: 2, busy: 0.567, busyMax: 1, steal: 0.033, samples: 3 });
  });

  test('where /proc/stat cannot be read there is no summary, and nothing fails', () => {
    const sampler = new CpuSampler({
      readStat: () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    });
    sampler.start();
    sampler.stop();
    assert.equal(sampler.summary(), null);
  });
});

import assert from 'node:assert/strict';
import { test } from 'vitest';
import { Histogram } from '../../src/contract/histogram.ts';
import type { PathId } from '../../bench/bench-path.ts';
import { buildReport, formatReport, MB, type PathOutcome } from '../../bench/report.ts';

function measured(id: PathId, ms: number, satRps: number, cores: number, rssMb: number): PathOutcome {
  const h = new Histogram();
  for (let i = 0; i < 4000; i++) h.record(ms);
  const cost =
    id === 'direct'
      ? null
      : { fixedCpuSeconds: cores * 4, fixedWallSeconds: 4, fixedRssBytes: rssMb * MB, fixedAnonBytes: (rssMb / 2) * MB, saturatedCpuSeconds: 3, saturatedWallSeconds: 3, idleRssBytes: 10 * MB, idleAnonBytes: 5 * MB, processes: 2 };
  return {
    id,
    measured: {
      id,
      describe: id,
      fixed: { histogram: h.toJSON(), responses: 4000, non2xx: 0, errors: 0, windowMs: 4000 },
      saturated: { histogram: h.toJSON(), responses: satRps * 3, non2xx: 0, errors: 0, windowMs: 3000 },
      cost,
      loadGenSaturatedCores: 0.5,
    },
  };
}

const machine = { cores: 2, cpuModel: 'test', node: 'v24', platform: 'linux', kernel: 'k', loadAvgStart: 0, loadAvgEnd: 0, otherCores: 0, stealCores: 0 };
const settings = { rate: 1000, fixedConnections: 20, warmupMs: 1000, fixedWindowMs: 4000, saturatedConnections: 50, saturatedWarmupMs: 500, saturatedWindowMs: 3000, rounds: 2 };

test('bench: the traced sidecar pair gets its column and a line with the cost of tracing against the untraced pair', () => {
  const r = buildReport({
    at: new Date(0),
    durationS: 60,
    machine,
    settings,
    rounds: [],
    outcomes: [measured('direct', 0.2, 10_000, 0, 0), measured('sidecar', 0.5, 3000, 0.1, 80), measured('traced', 0.6, 2700, 0.12, 88), measured('nginx', 0.4, 8000, 0.05, 20)],
  });
  const text = formatReport(r);
  assert.match(text, /^\s+direct\s+sidecar pair\s+sidecar pair, traced\s+nginx pair\s+sidecar ÷ nginx$/m);
  assert.match(text, /tracing on vs off \(traced pair − sidecar pair\): p50 \+0\.1\d\d ms, p99 \+0\.1\d\d ms, CPU per 1000 rps \+0\.020 cores \(20%\), saturated -10% rps, RSS \+8\.0 MB/);
});

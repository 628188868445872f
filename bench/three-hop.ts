/**
`npm run bench -- three-hop`: what load a three-hop call chain holds on this machine (issue 17's goal:
2000 rps with the achieved rate within 2% and every hop's p99 reported). A generated scenario —
client → front → middle → back, one replica each, the built-in app with no work, the mesh's defaults
(auto mTLS, tracing) — runs through the public API once per rate, lowest first, the open-loop load at
each rate for a few seconds. Each rate reports what the client saw (achieved rate, dropped requests,
p99 from the intended send time), each hop's p99 as its caller's sidecar measured it, how busy the
machine's CPUs were, and the slowest sidecar event loop: the figures a run's own health check uses.

The rate is held when the achieved rate is within 2% of it and nothing was dropped at the cap.
*/
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../src/index.ts';

export interface ThreeHopSettings {
  /** Rates to try, requests a second, in order. @default [250, 500, 1000, 2000] */
  rates: number[];
  /** Measured seconds at each rate (the run's warm-up comes before). @default 6 */
  seconds: number;
  /** Cap on requests in flight. @default 200 */
  connections: number;
}

export const THREE_HOP_DEFAULTS: ThreeHopSettings = { rates: [250, 500, 1000, 2000], seconds: 6, connections: 200 };

/** The issue's goal: the achieved rate within 2% of the declared one, at 2000 rps. */
const GOAL_RATE = 2000;
const GOAL_SHORTFALL = 0.02;

export interface ThreeHopRow {
  rate: number;
  achievedRate: number;
  sent: number;
  intended: number;
  droppedAtCap: number;
  droppedLate: number;
  held: boolean;
  /** p99 of the whole call, from the intended send time, ms. */
  p99Client: number | null;
  /** p99 of each hop as its caller's sidecar saw it, ms. */
  p99Hops: Record<string, number | null>;
  cpuBusy: number | null;
  worstSidecarLoop: { instance: string; p99Ms: number } | null;
  loadAverageBefore: number;
}

/** The scenario for one rate: a chain of three services behind the load. */
export function threeHopScenario(rate: number, seconds: number, connections: number): string {
  return [
    'version: 1',
    `name: three-hop-${rate}`,
    'description: client -> front -> middle -> back, the bench of a three-hop chain',
    'seed: 1',
    `duration: ${seconds}s`,
    'services:',
    '  front: { calls: [middle] }',
    '  middle: { calls: [back] }',
    '  back: {}',
    `load: { target: front, rate: ${rate}/s, connections: ${connections} }`,
    'expect:',
    // Bounds no run reaches: the expectations are there for what they measure.
    '  - p99(client) < 60s',
    '  - p99(front -> middle) < 60s',
    '  - p99(middle -> back) < 60s',
    '',
  ].join('\n');
}

export async function runThreeHopBench(settings: ThreeHopSettings, out: string, signal?: AbortSignal): Promise<ThreeHopRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-three-hop-'));
  const rows: ThreeHopRow[] = [];
  try {
    for (const rate of settings.rates) {
      if (signal?.aborted) break;
      const file = join(dir, `three-hop-${rate}.yaml`);
      writeFileSync(file, threeHopScenario(rate, settings.seconds, settings.connections));
      const loadAverageBefore = loadavg()[0]!;
      const summary = await run(file, { reports: null, signal });
      const r = summary.runs[0];
      if (!r?.result) throw new Error(`three-hop at ${rate}/s did not run: ${r?.error ?? 'no result'}`);
      const honesty = r.result.load?.honesty;
      const measured = (text: string) => {
        const v = r.verdicts.find((x) => x.expectation.text.startsWith(text));
        return typeof v?.measured === 'number' ? v.measured : null;
      };
      const loops = Object.entries(r.result.health?.sidecarLoops ?? {});
      const worst = loops.reduce<[string, { p99Ms: number }] | null>((w, e) => (!w || e[1].p99Ms > w[1].p99Ms ? e : w), null);
      const achievedRate = honesty?.achievedRate ?? 0;
      const droppedAtCap = honesty?.dropped.cap ?? 0;
      rows.push({
        rate,
        achievedRate,
        sent: honesty?.sent ?? 0,
        intended: honesty?.intended ?? 0,
        droppedAtCap,
        droppedLate: honesty?.dropped.late ?? 0,
        held: achievedRate >= rate * (1 - GOAL_SHORTFALL) && droppedAtCap === 0,
        p99Client: measured('p99(client)'),
        p99Hops: { 'front -> middle': measured('p99(front -> middle)'), 'middle -> back': measured('p99(middle -> back)') },
        cpuBusy: r.result.health?.cpu?.busy ?? null,
        worstSidecarLoop: worst ? { instance: worst[0], p99Ms: worst[1].p99Ms } : null,
        loadAverageBefore,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ settings, cores: availableParallelism(), goal: { rate: GOAL_RATE, shortfall: GOAL_SHORTFALL }, rows }, null, 2)}\n`);
  return rows;
}

export function formatThreeHop(rows: ThreeHopRow[]): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
  const lines = [
    'Three hops (client → front → middle → back), open-loop load, mesh defaults (auto mTLS, tracing):',
    '| rate | achieved | dropped (cap / late) | p99 client | p99 front→middle | p99 middle→back | CPU busy | slowest sidecar loop p99 | load avg before | held |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.rate}/s | ${r.achievedRate.toFixed(1)}/s | ${r.droppedAtCap} / ${r.droppedLate} | ${ms(r.p99Client)} | ${ms(r.p99Hops['front -> middle'] ?? null)} | ${ms(r.p99Hops['middle -> back'] ?? null)} | ${r.cpuBusy === null ? 'n/a' : `${(r.cpuBusy * 100).toFixed(0)}%`} | ${r.worstSidecarLoop ? `${r.worstSidecarLoop.instance} ${r.worstSidecarLoop.p99Ms.toFixed(1)} ms` : 'n/a'} | ${r.loadAverageBefore.toFixed(2)} | ${r.held ? 'yes' : 'no'} |`,
    );
  }
  const goal = rows.find((r) => r.rate === GOAL_RATE);
  lines.push(goal ? `goal: ${GOAL_RATE} rps held within ${GOAL_SHORTFALL * 100}%: ${goal.held ? 'met' : `not met (${goal.achievedRate.toFixed(1)}/s)`}` : `goal: ${GOAL_RATE} rps not measured (not among the rates)`);
  const best = rows.filter((r) => r.held).at(-1);
  lines.push(`highest rate held here: ${best ? `${best.rate}/s` : 'none of those tried'}`);
  return lines.join('\n');
}

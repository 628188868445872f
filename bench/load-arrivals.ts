import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ArrivalSchedule } from '../src/load/arrival-schedule.ts';
import { LOAD_GOALS } from '../src/load/load-honesty.ts';
import { monotonicMs } from '../src/load/pacer.ts';
import { LOAD_NODE_OPTIONS } from '../src/load/remote-load-generator.ts';
import type { Arrivals } from '../src/scenario/scenario.ts';
import { arrivalStats, startKernelStampRecorder, startLeanRecorder } from './arrival-recorder.ts';
import { ClockProbe, worstLateness, type ClockProbeResult } from './clock-probe.ts';
import type { Engine, EngineArgs, EngineResult } from './load-arrivals-engine.ts';
import { CLOCK_TICKS, machineTicks } from './proc-stats.ts';

/**
`npx node bench/load-arrivals.ts`: how evenly each way of sending a load delivers it, measured at the
receiving end (a server recording arrival times on loopback), side by side in one run: the
autocannon-based generator meshproof had before, an open loop paced by the main thread's timers, and
the open loop as meshproof runs it (a pacer thread). Each engine runs in a process of its own, in
rounds that alternate the order. `--recorder kernel` stamps arrivals with the kernel's receive
time instead of the recording thread's (startKernelStampRecorder). Prints a Markdown table (docs/load.md quotes it) and writes
reports/bench/load-arrivals.json.
*/

const ENGINE_MAIN = fileURLToPath(new URL('./load-arrivals-engine.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../reports/bench/load-arrivals.json', import.meta.url));

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '5' },
    engines: { type: 'string', default: 'autocannon,timer,worker' },
    cases: { type: 'string', default: 'uniform:100,uniform:2000,poisson:100,poisson:2000' },
    out: { type: 'string', default: DEFAULT_OUT },
    /** `lean`: a Node server stamps each request as its thread reads it; `kernel`: the kernel's receive time (SO_TIMESTAMPNS, python3). */
    recorder: { type: 'string', default: 'lean' },
  },
});
if (values.recorder !== 'lean' && values.recorder !== 'kernel') throw new Error(`--recorder: ${values.recorder} is not one of lean, kernel`);
const rounds = Number(values.rounds);
const durationMs = Number(values.seconds) * 1000;
const engines = values.engines!.split(',') as Engine[];
const cases = values.cases!.split(',').map((c) => {
  const [arrivals, rate] = c.split(':');
  return { arrivals: arrivals as Arrivals, rate: Number(rate) };
});

interface Row {
  engine: Engine;
  arrivals: Arrivals;
  rate: number;
  round: number;
  arrived: number;
  /** Arrivals ÷ the requests the schedule intends. */
  rateRatio: number;
  cv: number;
  busiest: number;
  windowRatio: number;
  maxGapMs: number;
  senderCores: number;
  dropped: number | null;
  latenessP99: number | null;
  /** The CV of the sends as the sender measured them (its own honesty figures). */
  senderCv: number | null;
  /** Share of the machine's CPU time busy (all cores) during the window, and the 1-minute load average after it. */
  machineBusy: number;
  /** How late the machine woke a sleeping thread meanwhile (bench/clock-probe.ts): no sender is more punctual. */
  wakeUpLateMs: { p99: number; max: number };
  /** The same figures over the seconds the machine kept time in (see overCleanSeconds); null when there was none. */
  clean: { seconds: number; cv: number; windowRatio: number; rateRatio: number } | null;
  loadavg: number;
}

/** The intended send times (ms from the start) of the schedule the engines play (seed 11). */
function schedule(arrivals: Arrivals, rate: number): number[] {
  const s = new ArrivalSchedule([{ startMs: 0, durationMs, rate }], arrivals, 11);
  const out: number[] = [];
  for (let t = s.next(); t !== null; t = s.next()) out.push(t);
  return out;
}

/** A wake-up this late (ms) in a second makes it one the machine did not keep time in. */
const CLEAN_SECOND_MAX_LATE_MS = 1;

/**
The figures over the seconds in which the machine kept time (the clock probe never woke more than
CLEAN_SECOND_MAX_LATE_MS late): on a shared machine those are the seconds that say what the engine
does, the others what the machine did to it. Gaps are taken within each clean second.
*/
function overCleanSeconds(got: number[], start: number, probe: ClockProbeResult, intended: number[], rate: number): Row['clean'] {
  const gaps: number[] = [];
  let seconds = 0;
  let arrived = 0;
  let planned = 0;
  let windowRatio = 0;
  for (let k = 0; k < durationMs / 1000; k++) {
    const from = start + k * 1000;
    if (!(worstLateness(probe, from, from + 1000) <= CLEAN_SECOND_MAX_LATE_MS)) continue;
    seconds++;
    const inSecond = got.filter((a) => a >= from && a < from + 1000);
    arrived += inSecond.length;
    planned += intended.filter((t) => t >= k * 1000 && t < (k + 1) * 1000).length;
    for (let i = 1; i < inSecond.length; i++) gaps.push(inSecond[i] - inSecond[i - 1]);
    if (inSecond.length > 1) windowRatio = Math.max(windowRatio, arrivalStats(inSecond, rate).windowRatio);
  }
  if (seconds === 0 || gaps.length < 2) return null;
  const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  return { seconds, cv: sd / mean, windowRatio, rateRatio: arrived / planned };
}

async function measure(engine: Engine, arrivals: Arrivals, rate: number, round: number): Promise<Row | null> {
  if (engine === 'autocannon' && arrivals === 'poisson') return null;
  const server = values.recorder === 'kernel' ? await startKernelStampRecorder() : await startLeanRecorder();
  // With the load process's own V8 options (every engine alike).
  const child = fork(ENGINE_MAIN, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...LOAD_NODE_OPTIONS],
    env: { ...process.env, ENGINE_REALTIME: engine === 'socket-rt' ? '1' : '0' },
  });
  await new Promise((resolve) => child.once('message', resolve));
  const start = monotonicMs() + 1500;
  const args: EngineArgs = { engine, url: server.url, arrivals, rate, durationMs, connections: Math.max(10, Math.ceil(rate / 10)), start };
  child.send(args);
  const before = machineTicks();
  const beforeAt = monotonicMs();
  const probe = new ClockProbe();
  const result = await new Promise<EngineResult>((resolve, reject) => {
    child.once('message', (m: EngineResult) => resolve(m));
    child.once('exit', (code) => reject(new Error(`${engine} exited with ${code}`)));
  });
  const after = machineTicks();
  const clock = await probe.stop();
  const wallS = (monotonicMs() - beforeAt) / 1000;
  await server.close();
  const got = server.arrivals.filter((a) => a >= start - 2 && a < start + durationMs + 200);
  const s = arrivalStats(got, rate);
  const intended = schedule(arrivals, rate);
  const cores = 2;
  return {
    engine,
    arrivals,
    rate,
    round,
    arrived: s.count,
    rateRatio: s.count / intended.length,
    cv: s.cv,
    busiest: s.busiest,
    windowRatio: s.windowRatio,
    maxGapMs: s.maxGapMs,
    senderCores: result.cores,
    dropped: result.dropped,
    latenessP99: result.latenessP99,
    senderCv: result.senderCv,
    machineBusy: (after.busy - before.busy) / CLOCK_TICKS / wallS / cores,
    wakeUpLateMs: { p99: clock.p99, max: clock.max },
    clean: overCleanSeconds(got, start, clock, intended, rate),
    loadavg: loadavg()[0],
  };
}

const rows: Row[] = [];
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 ? engines : [...engines].reverse();
  for (const c of cases) {
    for (const engine of order) {
      const row = await measure(engine, c.arrivals, c.rate, round);
      if (row) {
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    }
  }
}

const f = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const goal = (r: Row) => {
  const rateOk = Math.abs(r.rateRatio - 1) <= LOAD_GOALS.rateTolerance;
  if (r.arrivals === 'poisson') return rateOk && r.cv >= LOAD_GOALS.poissonCv[0] && r.cv <= LOAD_GOALS.poissonCv[1];
  return rateOk && r.cv <= LOAD_GOALS.uniformMaxCv && r.windowRatio <= LOAD_GOALS.maxWindowRatio;
};
const lines = [
  '| engine | arrivals | rate | round | arrived ÷ scheduled | inter-arrival CV (at the sender) | busiest 10 ms ÷ expected | longest gap | dropped | sender CPU (cores) | machine busy | thread wake-up late p99 / max | goals |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.engine} | ${r.arrivals} | ${r.rate}/s | ${r.round} | ${(r.rateRatio * 100).toFixed(1)}% | ${f(r.cv)} (${f(r.senderCv)}) | ${r.busiest} ÷ ${f(Math.max(1, r.rate / 100), 0)} = ${f(r.windowRatio, 1)}× | ${f(r.maxGapMs, 1)} ms | ${r.dropped ?? '—'} | ${f(r.senderCores, 3)} | ${(r.machineBusy * 100).toFixed(0)}% (load ${f(r.loadavg, 1)}) | ${f(r.wakeUpLateMs.p99)} / ${f(r.wakeUpLateMs.max, 1)} ms | ${goal(r) ? 'met' : 'missed'} |`,
  ),
];
const cleanGoal = (r: Row) => {
  const c = r.clean!;
  const rateOk = Math.abs(c.rateRatio - 1) <= LOAD_GOALS.rateTolerance;
  if (r.arrivals === 'poisson') return rateOk && c.cv >= LOAD_GOALS.poissonCv[0] && c.cv <= LOAD_GOALS.poissonCv[1];
  return rateOk && c.cv <= LOAD_GOALS.uniformMaxCv && c.windowRatio <= LOAD_GOALS.maxWindowRatio;
};
lines.push(
  '',
  `Over the seconds in which the machine kept time (no thread woke more than ${CLEAN_SECOND_MAX_LATE_MS} ms late):`,
  '',
  '| engine | arrivals | rate | round | seconds | arrived ÷ scheduled | inter-arrival CV | busiest 10 ms ÷ expected | goals |',
  '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ...rows
    .filter((r) => r.clean)
    .map((r) => `| ${r.engine} | ${r.arrivals} | ${r.rate}/s | ${r.round} | ${r.clean!.seconds} | ${(r.clean!.rateRatio * 100).toFixed(1)}% | ${f(r.clean!.cv)} | ${f(r.clean!.windowRatio, 1)}× | ${cleanGoal(r) ? 'met' : 'missed'} |`),
);
console.log(lines.join('\n'));
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, JSON.stringify({ durationMs, rows }, null, 2) + '\n');
console.log(`\nwrote ${values.out}`);

/**
`npm run bench -- scale`: how large a topology starts on this machine, how fast, and what it costs
(issue 17's scale goals). For each topology (30 services × 3 replicas and 10 × 2 by default) it
starts the generated scenario's pods and ingress, pushes the first config to every sidecar (the
topology is then ready to take load), and reports

- time to ready: `runtime.start(plan)` plus the first push, and each part;
- peak RSS of everything the start started together: VmRSS summed over the bench process and all
  its descendants, sampled every 200 ms from /proc until a second after ready (local runtime only:
  Docker's processes are the daemon's, not the bench's);
- the number of processes it started;
- the machine's 1-minute load average and its CPU busy share (/proc/stat, all cores, every process
  on the machine) over the second before the start and over the start itself.

Cases run interleaved (round r in order, round r+1 in reverse), so whatever else the machine does
hits them alike: `before` is the local runtime as it was (every process booted at once), `now` its
defaults (a process per sidecar and per app), `hosted` with pod hosting on (a few processes each
holding many pods); `cold` cases give Node's compile cache a fresh folder (a first run, a changed source, CI).
Docker 10 × 2 runs when a Docker engine answers (`--scale-docker on|off|auto`).
*/
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { planScenario } from '../src/plan/plan-scenario.ts';
import type { Runtime, StartedTopology } from '../src/runtime/runtime.ts';
import { withLiveTopologies } from './live-topologies.ts';
import { LocalRuntime, defaultBootConcurrency, type LocalRuntimeOptions } from '../src/runtime/local/local-runtime.ts';
import { ControlPlane } from '../src/sim/control-plane/control-plane.ts';
import { memory, withDescendants } from './proc-stats.ts';
import { startupScenario } from './startup.ts';

export interface Topology {
  services: number;
  replicas: number;
}

/** The issue's goals for a topology on a runtime, or null when it sets none. */
export function goalsFor(t: Topology, runtime: 'local' | 'docker'): { readyMs: number; rssBytes: number | null } | null {
  if (runtime === 'local' && t.services === 30 && t.replicas === 3) return { readyMs: 6000, rssBytes: 4 * 1024 ** 3 };
  if (runtime === 'local' && t.services === 10 && t.replicas === 2) return { readyMs: 3000, rssBytes: null };
  if (runtime === 'docker' && t.services === 10 && t.replicas === 2) return { readyMs: 15_000, rssBytes: null };
  return null;
}

/** One thing measured: a topology on a runtime configured one way, with a warm or a cold compile cache. */
export interface ScaleCase {
  id: string;
  topology: Topology;
  runtime: 'local' | 'docker';
  /** `before`: every process booted at once (the local runtime as it was); `now`: the runtime's defaults (a process per sidecar and per app); `hosted`: pod hosting on (`hostPods`). */
  variant: 'before' | 'now' | 'hosted';
  cache: 'warm' | 'cold';
}

export interface MachineShare {
  /** 1-minute load average. */
  loadAvg: number;
  /** Share of all cores' time spent running anything (every process on the machine), 0–1. */
  cpuBusy: number;
}

export interface ScaleRound {
  round: number;
  /** Start + first push, ms; null when the start failed. */
  readyMs: number | null;
  startMs: number | null;
  pushMs: number | null;
  stopMs: number | null;
  /** Largest VmRSS summed over the bench and its descendants, bytes (null: not measured, Docker). */
  peakRssBytes: number | null;
  /** Of which the bench process itself (the harness's part). */
  harnessRssBytes: number | null;
  /** Processes the start left running (descendants of the bench), at ready. */
  processes: number | null;
  before: MachineShare;
  during: MachineShare;
  failed: string | null;
}

export interface ScaleResult {
  case: ScaleCase;
  rounds: ScaleRound[];
  medianReadyMs: number | null;
  maxPeakRssBytes: number | null;
  goal: { readyMs: number; rssBytes: number | null } | null;
  met: { ready: boolean | null; rss: boolean | null };
}

export interface ScaleReport {
  at: string;
  durationS: number;
  machine: { cores: number; model: string; node: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  settings: { rounds: number; bootConcurrency: number; topologies: Topology[]; docker: string };
  results: ScaleResult[];
  unavailable: { case: string; reason: string }[];
}

/** CPU ticks of the whole machine: busy and total, from /proc/stat's first line. */
function cpuTicks(): { busy: number; total: number } {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(Number);
  const busy = user + nice + system + irq + softirq + (steal || 0);
  return { busy, total: busy + idle + iowait };
}

function share(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  const total = b.total - a.total;
  return total > 0 ? (b.busy - a.busy) / total : 0;
}

/** Samples VmRSS over the bench and every descendant, keeping the peak, until stopped. */
function rssSampler(periodMs = 200) {
  let peak = 0;
  let harness = 0;
  const sample = () => {
    const pids = withDescendants([process.pid]);
    const total = memory(pids).rss;
    if (total > peak) {
      peak = total;
      harness = memory([process.pid]).rss;
    }
  };
  sample();
  const timer = setInterval(sample, periodMs);
  return {
    stop(): { peak: number; harness: number } {
      clearInterval(timer);
      sample();
      return { peak, harness };
    },
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runtime options of a local case: `before` boots everything at once, as the runtime did before the boot gate; `hosted` turns pod hosting on. */
export function localOptions(variant: ScaleCase['variant']): LocalRuntimeOptions {
  if (variant === 'hosted') return { hostPods: true };
  return variant === 'before' ? { bootConcurrency: Infinity } : {};
}

async function measureOnce(c: ScaleCase, runtime: Runtime, round: number, live: Set<StartedTopology>, log: (l: string) => void): Promise<ScaleRound> {
  const scenario = startupScenario(c.topology.services, c.topology.replicas);
  const plan = planScenario(scenario, `bench-scale-${randomBytes(3).toString('hex')}`);
  let coldDir: string | null = null;
  const savedCache = process.env.NODE_COMPILE_CACHE;
  if (c.cache === 'cold') {
    coldDir = mkdtempSync(join(tmpdir(), 'meshproof-bench-cold-cache-'));
    process.env.NODE_COMPILE_CACHE = coldDir;
  }
  const t0Ticks = cpuTicks();
  await sleep(1000);
  const before: MachineShare = { loadAvg: loadavg()[0], cpuBusy: share(t0Ticks, cpuTicks()) };
  const startTicks = cpuTicks();
  const sampler = c.runtime === 'local' ? rssSampler() : null;
  const out: ScaleRound = { round, readyMs: null, startMs: null, pushMs: null, stopMs: null, peakRssBytes: null, harnessRssBytes: null, processes: null, before, during: before, failed: null };
  let topology: StartedTopology | null = null;
  try {
    const t0 = performance.now();
    topology = await runtime.start(plan, {});
    live.add(topology);
    out.startMs = performance.now() - t0;
    const t1 = performance.now();
    const controlPlane = new ControlPlane(plan, topology.pods, topology.ingress, { credential: topology.credential, pushTimeoutMs: 15_000 });
    controlPlane.setT0(Date.now());
    await controlPlane.push();
    out.pushMs = performance.now() - t1;
    out.readyMs = performance.now() - t0;
    out.during = { loadAvg: loadavg()[0], cpuBusy: share(startTicks, cpuTicks()) };
    if (c.runtime === 'local') out.processes = withDescendants([process.pid]).length - 1;
    // The peak may come just after ready (the last processes' heaps settle): keep sampling a second.
    if (sampler) await sleep(1000);
  } catch (err) {
    out.failed = (err as Error).message.split('\n')[0];
    out.during = { loadAvg: loadavg()[0], cpuBusy: share(startTicks, cpuTicks()) };
  } finally {
    if (sampler) {
      const rss = sampler.stop();
      out.peakRssBytes = rss.peak;
      out.harnessRssBytes = rss.harness;
    }
    if (topology) {
      const t2 = performance.now();
      await topology.stop();
      live.delete(topology);
      out.stopMs = performance.now() - t2;
    }
    if (coldDir) {
      if (savedCache === undefined) delete process.env.NODE_COMPILE_CACHE;
      else process.env.NODE_COMPILE_CACHE = savedCache;
      rmSync(coldDir, { recursive: true, force: true });
    }
  }
  log(`round ${round}: ${c.id}: ${out.failed ? `failed: ${out.failed}` : `ready in ${Math.round(out.readyMs!)}ms (start ${Math.round(out.startMs!)}, push ${Math.round(out.pushMs!)})`}${out.peakRssBytes !== null ? `, peak RSS ${(out.peakRssBytes / 1024 ** 3).toFixed(2)} GiB, ${out.processes ?? '?'} processes` : ''}; load ${before.loadAvg.toFixed(2)} → ${out.during.loadAvg.toFixed(2)}`);
  return out;
}

/** The cases a run measures: per topology, before vs now vs hosted with a warm cache; cold too for the small ones; Docker 10 × 2. */
export function scaleCases(topologies: Topology[], options: { docker: boolean; cold: boolean; variants?: readonly ScaleCase['variant'][] }): ScaleCase[] {
  const variants = options.variants ?? VARIANTS;
  const cases: ScaleCase[] = [];
  const id = (t: Topology, rest: string) => `${t.services}x${t.replicas} ${rest}`;
  for (const t of topologies) {
    for (const variant of variants) cases.push({ id: id(t, `local ${variant}`), topology: t, runtime: 'local', variant, cache: 'warm' });
    // 181 cold processes at once is half a minute of both cores: only the small topologies get it.
    if (options.cold && t.services * t.replicas <= 20) {
      for (const variant of variants.filter((v) => v !== 'hosted')) cases.push({ id: id(t, `local ${variant} cold cache`), topology: t, runtime: 'local', variant, cache: 'cold' });
    }
    if (options.docker && t.services === 10 && t.replicas === 2) cases.push({ id: id(t, 'docker'), topology: t, runtime: 'docker', variant: 'now', cache: 'warm' });
  }
  return cases;
}

export async function benchScale(options: { rounds: number; topologies: Topology[]; variants?: readonly ScaleCase['variant'][]; docker: 'auto' | 'on' | 'off'; cold: boolean; log: (line: string) => void }): Promise<ScaleReport> {
  const t0 = performance.now();
  const loadAvgStart = loadavg();
  const unavailable: ScaleReport['unavailable'] = [];
  let docker: Runtime | null = null;
  if (options.docker !== 'off' && options.topologies.some((t) => t.services === 10 && t.replicas === 2)) {
    try {
      const { checkEngine, dockerClient } = await import('../src/runtime/docker/docker-engine.ts');
      const { DockerRuntime } = await import('../src/runtime/docker/docker-runtime.ts');
      const { ensureRuntimeImage } = await import('../src/runtime/docker/runtime-image.ts');
      const client = dockerClient();
      await checkEngine(client);
      const built = await ensureRuntimeImage(client, { onBuildOutput: (l) => options.log(`  build | ${l}`) });
      options.log(`docker runtime image ${built.tag}: ${built.built ? `built in ${built.ms}ms (before measuring)` : 'already built'}`);
      docker = new DockerRuntime({ docker: client });
    } catch (err) {
      if (options.docker === 'on') throw err;
      unavailable.push({ case: '10x2 docker', reason: (err as Error).message.split('\n')[0] });
    }
  }
  const cases = scaleCases(options.topologies, { docker: docker !== null, cold: options.cold, variants: options.variants });
  const runtimes = new Map<string, Runtime>();
  for (const c of cases) runtimes.set(c.id, c.runtime === 'docker' ? docker! : new LocalRuntime(localOptions(c.variant)));

  const rounds = new Map<string, ScaleRound[]>(cases.map((c) => [c.id, []]));
  await withLiveTopologies(async (live) => {
    for (let r = 0; r < options.rounds; r++) {
      for (const c of r % 2 === 0 ? cases : [...cases].reverse()) rounds.get(c.id)!.push(await measureOnce(c, runtimes.get(c.id)!, r + 1, live, options.log));
    }
  });
  return {
    at: new Date().toISOString(),
    durationS: (performance.now() - t0) / 1000,
    machine: { cores: availableParallelism(), model: cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAvgStart, loadAvgEnd: loadavg() },
    settings: { rounds: options.rounds, bootConcurrency: defaultBootConcurrency(), topologies: options.topologies, docker: options.docker },
    results: cases.map((c) => resultOf(c, rounds.get(c.id)!)),
    unavailable,
  };
}

/** A case's figures over its rounds, beside its goal. A round that failed has no ready time: the median is over those that started, and a failure misses the goal. */
export function resultOf(c: ScaleCase, rounds: ScaleRound[]): ScaleResult {
  const ready = rounds.filter((r) => r.readyMs !== null).map((r) => r.readyMs!);
  const rss = rounds.filter((r) => r.peakRssBytes !== null).map((r) => r.peakRssBytes!);
  const medianReadyMs = ready.length === rounds.length ? median(ready) : null;
  const maxPeakRssBytes = rss.length > 0 ? Math.max(...rss) : null;
  const goal = goalsFor(c.topology, c.runtime);
  const anyFailed = rounds.some((r) => r.failed !== null);
  return {
    case: c,
    rounds,
    medianReadyMs,
    maxPeakRssBytes,
    goal,
    met: {
      ready: goal ? (anyFailed ? false : medianReadyMs! <= goal.readyMs) : null,
      rss: goal?.rssBytes != null && maxPeakRssBytes !== null ? maxPeakRssBytes <= goal.rssBytes : null,
    },
  };
}

const s1 = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
const gib = (b: number | null) => (b === null ? '—' : `${(b / 1024 ** 3).toFixed(2)} GiB`);
const mark = (m: boolean | null) => (m === null ? '' : m ? '✓' : '✗');

/** The table: each case's figures beside its goal, then now ÷ before per topology. */
export function formatScaleReport(report: ScaleReport): string {
  const m = report.machine;
  const lines = [
    `Scale: topologies started on this machine until every pod and the ingress is ready and has its first config (${report.settings.rounds} interleaved rounds; boot gate ${report.settings.bootConcurrency} at once)`,
    `  ${m.cores} cores (${m.model}), Node ${m.node}; load average ${m.loadAvgStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${m.loadAvgEnd.map((x) => x.toFixed(2)).join(' ')} at the end`,
  ];
  const rows: string[][] = [['case', 'ready (median)', 'rounds', 'start + push', 'peak RSS', 'procs', 'load before → during', 'CPU busy before → during', 'goal', '']];
  for (const r of report.results) {
    const ok = r.rounds.filter((x) => !x.failed);
    const last = r.rounds[r.rounds.length - 1];
    const goal = r.goal ? `≤ ${s1(r.goal.readyMs)}${r.goal.rssBytes ? `, ≤ ${gib(r.goal.rssBytes)}` : ''}` : '—';
    const met = [mark(r.met.ready), r.goal?.rssBytes ? mark(r.met.rss) : ''].filter(Boolean).join(' ');
    rows.push([
      r.case.id,
      s1(r.medianReadyMs),
      r.rounds.map((x) => (x.failed ? 'failed' : s1(x.readyMs))).join(', '),
      ok.length ? `${s1(median(ok.map((x) => x.startMs!)))} + ${s1(median(ok.map((x) => x.pushMs!)))}` : '—',
      gib(r.maxPeakRssBytes),
      last?.processes === null || last === undefined ? '—' : String(last.processes),
      r.rounds.map((x) => `${x.before.loadAvg.toFixed(1)}→${x.during.loadAvg.toFixed(1)}`).join(', '),
      r.rounds.map((x) => `${Math.round(x.before.cpuBusy * 100)}%→${Math.round(x.during.cpuBusy * 100)}%`).join(', '),
      goal,
      met,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push(`  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
  for (const r of report.results) for (const x of r.rounds) if (x.failed) lines.push(`  ${r.case.id} round ${x.round} failed: ${x.failed}`);
  const byId = new Map(report.results.map((r) => [r.case.id, r]));
  for (const r of report.results) {
    if (r.case.runtime !== 'local' || r.case.variant === 'before') continue;
    const base = r.case.variant === 'now' ? 'before' : 'now';
    const b = byId.get(r.case.id.replace(`local ${r.case.variant}`, `local ${base}`));
    if (!b) continue;
    const ratio = (now: number | null, before: number | null) => (now !== null && before !== null && before > 0 ? `${(now / before).toFixed(2)}×` : 'n/a (a side failed)');
    lines.push(`  ${r.case.id} ÷ ${base}: ready ${ratio(r.medianReadyMs, b.medianReadyMs)}, peak RSS ${ratio(r.maxPeakRssBytes, b.maxPeakRssBytes)}`);
  }
  for (const u of report.unavailable) lines.push(`  ${u.case}: not measured: ${u.reason}`);
  lines.push('  (goals, not tests: a ✗ is reported, never an exit code; peak RSS sums VmRSS, so the node binary each process maps counts once per process)');
  return lines.join('\n');
}

const VARIANTS = ['before', 'now', 'hosted'] as const;

/** Parses "now,hosted": the local cases to measure. */
export function parseVariants(text: string): ScaleCase['variant'][] {
  const out = text.split(',').map((v) => v.trim());
  for (const v of out) if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`--scale-variants takes ${VARIANTS.join(', ')} (comma-separated), got "${v}"`);
  return out as ScaleCase['variant'][];
}

/** Parses "30x3,10x2". */
export function parseTopologies(text: string): Topology[] {
  return text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`--scale-topologies takes SERVICESxREPLICAS[,…] such as 30x3,10x2, got "${part}"`);
    return { services: Number(m[1]), replicas: Number(m[2]) };
  });
}

/** `npm run bench -- scale`: measures, prints, writes the JSON. Returns 1 when a `now` case failed to start (not for a missed goal). */
export async function runScaleBench(options: { rounds: number; topologies: Topology[]; variants?: readonly ScaleCase['variant'][]; docker: 'auto' | 'on' | 'off'; cold: boolean; out: string; log: (line: string) => void }): Promise<number> {
  const report = await benchScale(options);
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(report, null, 2) + '\n');
  console.log(formatScaleReport(report));
  console.log(`\nwritten: ${options.out}`);
  return report.results.some((r) => r.case.variant !== 'before' && r.rounds.some((x) => x.failed)) ? 1 : 0;
}

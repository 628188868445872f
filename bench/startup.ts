/**
Topology start-up, local vs Docker: how long a runtime takes from `start(plan)` to every pod (app +
sidecar) and the ingress ready, for 10 services × 2 replicas. Goals on the project's 2-core machine:
≤ 3 s local, ≤ 15 s Docker. The Docker runtime image is built (or found) before the clock starts and
its cost is reported apart: it is paid once per change of the project, not per run.

  npx node bench/startup.ts [--rounds N] [--services N] [--replicas N] [--only local|docker] [--out FILE]

Rounds alternate between the runtimes, so whatever else the machine does hits both alike. Prints a
table and, with --out, writes the figures as JSON. Exits 2 when Docker is not available and
`--only docker` was asked; otherwise the Docker figures are reported as unavailable.
*/
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { MeshproofError } from '../src/errors.ts';
import { planScenario } from '../src/plan/plan-scenario.ts';
import { parseScenario } from '../src/scenario/parse-scenario.ts';
import type { Scenario } from '../src/scenario/scenario.ts';
import { LocalRuntime } from '../src/runtime/local/local-runtime.ts';
import type { Runtime, StartedTopology } from '../src/runtime/runtime.ts';
import { withLiveTopologies } from './live-topologies.ts';
import { checkEngine, dockerClient } from '../src/runtime/docker/docker-engine.ts';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.ts';
import { ensureRuntimeImage } from '../src/runtime/docker/runtime-image.ts';

export const GOALS_MS = { local: 3000, docker: 15_000 } as const;

export interface StartupFigures {
  runtime: 'local' | 'docker';
  pods: number;
  /** Start-up of each round, ms. */
  roundsMs: number[];
  medianMs: number | null;
  goalMs: number;
  met: boolean | null;
  /** Teardown of each round, ms. */
  stopMs: number[];
  /** Why there are no figures (Docker absent), else null. */
  unavailable: string | null;
}

export interface StartupReport {
  at: string;
  machine: { cpus: number; model: string; loadavg: number[] };
  topology: { services: number; replicas: number };
  image: { tag: string; built: boolean; ms: number; base: string } | null;
  results: StartupFigures[];
}

/** A scenario of `services` services in a chain, each with `replicas` instances: the topology whose start-up is measured. */
export function startupScenario(services: number, replicas: number): Scenario {
  const lines = ['version: 1', 'name: startup-bench', `description: ${services} services x ${replicas} replicas, for start-up timing.`, 'seed: 1', 'duration: 1s', 'services:'];
  for (let i = 0; i < services; i++) lines.push(`  s${i}: { replicas: ${replicas}${i + 1 < services ? `, calls: [s${i + 1}]` : ''} }`);
  lines.push('load: { target: s0, rate: 1/s, connections: 1 }', 'expect:', '  - success_rate(client) >= 0%');
  const parsed = parseScenario(lines.join('\n') + '\n', 'startup-bench.yaml');
  if (!parsed.scenario) throw new Error(`the start-up scenario does not parse: ${JSON.stringify(parsed.issues)}`);
  return parsed.scenario;
}

async function measure(runtime: Runtime, scenario: Scenario, live: Set<StartedTopology>): Promise<{ startMs: number; stopMs: number; pods: number }> {
  const plan = planScenario(scenario, `bench-${randomBytes(3).toString('hex')}`);
  const t0 = performance.now();
  const topology = await runtime.start(plan, {});
  const startMs = performance.now() - t0;
  live.add(topology);
  const t1 = performance.now();
  await topology.stop();
  live.delete(topology);
  return { startMs, stopMs: performance.now() - t1, pods: topology.pods.length };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function benchStartup(options: { rounds: number; services: number; replicas: number; only?: 'local' | 'docker'; log?: (line: string) => void }): Promise<StartupReport> {
  const log = options.log ?? (() => {});
  const scenario = startupScenario(options.services, options.replicas);
  const runtimes: { name: 'local' | 'docker'; runtime: Runtime | null; unavailable: string | null }[] = [];
  let image: StartupReport['image'] = null;
  if (options.only !== 'docker') runtimes.push({ name: 'local', runtime: new LocalRuntime(), unavailable: null });
  if (options.only !== 'local') {
    try {
      const docker = dockerClient();
      await checkEngine(docker);
      const built = await ensureRuntimeImage(docker, { onBuildOutput: (l) => log(`  build | ${l}`) });
      image = { tag: built.tag, built: built.built, ms: built.ms, base: built.base };
      log(`runtime image ${built.tag}: ${built.built ? `built in ${built.ms}ms` : `already there (${built.ms}ms to check)`}`);
      runtimes.push({ name: 'docker', runtime: new DockerRuntime({ docker }), unavailable: null });
    } catch (err) {
      if (options.only === 'docker') throw err;
      runtimes.push({ name: 'docker', runtime: null, unavailable: (err as Error).message });
    }
  }

  const rounds = new Map<string, { start: number[]; stop: number[]; pods: number }>();
  await withLiveTopologies(async (live) => {
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? runtimes : [...runtimes].reverse();
      for (const r of order) {
        if (!r.runtime) continue;
        const m = await measure(r.runtime, scenario, live);
        const acc = rounds.get(r.name) ?? { start: [], stop: [], pods: m.pods };
        acc.start.push(m.startMs);
        acc.stop.push(m.stopMs);
        rounds.set(r.name, acc);
        log(`round ${round + 1}: ${r.name} ${m.pods} pods ready in ${Math.round(m.startMs)}ms (stopped in ${Math.round(m.stopMs)}ms)`);
      }
    }
  });
  return {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    topology: { services: options.services, replicas: options.replicas },
    image,
    results: runtimes.map((r) => {
      const acc = rounds.get(r.name);
      const med = acc ? median(acc.start) : null;
      return {
        runtime: r.name,
        pods: acc?.pods ?? options.services * options.replicas,
        roundsMs: (acc?.start ?? []).map(Math.round),
        medianMs: med === null ? null : Math.round(med),
        goalMs: GOALS_MS[r.name],
        met: med === null ? null : med <= GOALS_MS[r.name],
        stopMs: (acc?.stop ?? []).map(Math.round),
        unavailable: r.unavailable,
      };
    }),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The table printed by `npm run bench` and `node bench/startup.ts`: each runtime beside its goal. */
export function formatStartupReport(report: StartupReport): string {
  const pods = report.topology.services * report.topology.replicas;
  const out = [
    `Topology start-up: ${report.topology.services} services × ${report.topology.replicas} replicas (${pods} pods of app + sidecar, and the ingress) until every one is ready`,
    `  ${report.machine.cpus} CPUs (${report.machine.model}), load average ${report.machine.loadavg.join(' ')} at the end`,
  ];
  if (report.image) out.push(`  docker runtime image ${report.image.tag} (base ${report.image.base}): ${report.image.built ? `built in ${seconds(report.image.ms)} before measuring (once per change of the project)` : 'already built'}`);
  const rows = [['runtime', 'median', 'rounds', 'teardown', 'goal', '']];
  for (const r of report.results) {
    if (r.unavailable) {
      rows.push([r.runtime, '—', '—', '—', `≤ ${seconds(r.goalMs)}`, `– not measured: ${r.unavailable}`]);
      continue;
    }
    rows.push([r.runtime, seconds(r.medianMs ?? 0), r.roundsMs.map(seconds).join(', '), r.stopMs.map(seconds).join(', '), `≤ ${seconds(r.goalMs)}`, r.met ? '✓' : '✗']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) out.push(`  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
  out.push('  (goals, not tests: a ✗ is reported, never an exit code)');
  return out.join('\n');
}

/** `npm run bench`'s start-up part: measures, prints, writes the JSON. Returns 1 when a runtime failed to start the topology (not for a missed goal). */
export async function runStartupBench(options: { rounds: number; out: string | null; log?: (line: string) => void }): Promise<number> {
  let report: StartupReport;
  try {
    report = await benchStartup({ rounds: options.rounds, services: 10, replicas: 2, log: options.log });
  } catch (err) {
    console.error(`bench: topology start-up could not be measured: ${err instanceof MeshproofError ? err.message : (err as Error).stack}`);
    return 1;
  }
  console.log(formatStartupReport(report));
  if (options.out) {
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwritten: ${options.out}`);
  }
  return 0;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      services: { type: 'string', default: '10' },
      replicas: { type: 'string', default: '2' },
      only: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`bench/startup: --${name} must be a whole number >= 1, got ${JSON.stringify(v)}`);
      process.exit(2);
    }
    return n;
  };
  if (values.only !== undefined && values.only !== 'local' && values.only !== 'docker') {
    console.error(`bench/startup: --only must be local or docker, got ${JSON.stringify(values.only)}`);
    process.exit(2);
  }
  try {
    const report = await benchStartup({
      rounds: num('rounds', values.rounds),
      services: num('services', values.services),
      replicas: num('replicas', values.replicas),
      only: values.only as 'local' | 'docker' | undefined,
      log: values.quiet ? undefined : (l) => console.error(l),
    });
    console.log(formatStartupReport(report));
    if (values.out) {
      mkdirSync(dirname(values.out), { recursive: true });
      writeFileSync(values.out, JSON.stringify(report, null, 2) + '\n');
    }
  } catch (err) {
    console.error(err instanceof MeshproofError ? err.message : (err as Error).stack);
    process.exit(2);
  }
}

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram } from '../src/contract/histogram.ts';
import { type HistogramJSON } from '../src/contract/series.ts';
import { spawnNodeChild } from '../src/process/child-process.ts';
import { newRunCredential } from '../src/auth/run-credential.ts';
import { ToxiproxyDriver } from '../src/chaos/toxiproxy-driver.ts';
import type { BenchChildren } from './children.ts';
import { runFixedRate, runSaturated, type LoadWindowResult, type Target } from './load.ts';
import { freePort } from './nginx-pair.ts';

/**
The fault engine's part of `npm run bench`: the same upstream reached directly, through meshproof's
Toxiproxy-compatible engine, and through a real toxiproxy-server when one is on PATH (or named by
MESHPROOF_BENCH_TOXIPROXY). Each engine runs in its own process with two proxies to the upstream,
set up through the driver (toxiproxy-node-client) as a run does: one without toxics, one with a 20ms
latency toxic on the responses. Rounds alternate the order of the paths, as the sidecar bench does.
*/

const ENGINE_MAIN = fileURLToPath(new URL('../src/chaos/toxiproxy/engine-process.ts', import.meta.url));
const HOST = '127.0.0.1';

/** The goals of issue 4, measured on this machine against real Toxiproxy (2.12). */
export const ENGINE_GOALS = {
  /** Toxiproxy reached 8.7–10.3k rps where direct reached 13–16k: about 0.63 of direct. */
  saturatedRatioToDirect: 0.63,
  /** Added p50 at 1000 rps, ms. */
  addedP50Ms: 0.7,
  /** |p50 with a 20ms latency toxic − p50 without − 20ms|, ms. */
  toxicP50ErrorMs: 1,
};

export type EngineId = 'meshproof' | 'toxiproxy';
type TargetId = 'direct' | EngineId;

export interface EngineBenchSettings {
  /** Fixed request rate. @default 1000 */
  rate: number;
  /** Connections at the fixed rate. @default 20 */
  connections: number;
  warmupMs: number;
  windowMs: number;
  saturatedConnections: number;
  saturatedWarmupMs: number;
  saturatedWindowMs: number;
  rounds: number;
  /** The latency toxic whose accuracy is measured, ms. @default 20 */
  toxicLatencyMs: number;
  /** Request rate while measuring it (each connection must have room for 20ms per request). @default 500 */
  toxicRate: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineBenchSettings = {
  rate: 1000,
  connections: 20,
  warmupMs: 1000,
  windowMs: 4000,
  saturatedConnections: 50,
  saturatedWarmupMs: 500,
  saturatedWindowMs: 3000,
  rounds: 2,
  toxicLatencyMs: 20,
  toxicRate: 500,
};

interface Totals {
  fixed: Histogram;
  fixedResponses: number;
  fixedWindowMs: number;
  saturatedResponses: number;
  saturatedWindowMs: number;
  failures: number;
  /** Only for engines: through the proxy with the latency toxic, and through the plain one, at toxicRate. */
  toxic: Histogram;
  plainAtToxicRate: Histogram;
}

export interface EngineFigures {
  id: TargetId;
  describe: string;
  p50Ms: number;
  p99Ms: number;
  achievedRps: number;
  saturatedRps: number;
  failures: number;
  /** Engines only (NaN for direct). */
  addedP50Ms: number;
  addedP99Ms: number;
  saturatedRatio: number;
  /** p50 through the proxy with the toxic, and through the same engine without it, at toxicRate. */
  toxicP50Ms: number;
  plainP50AtToxicRateMs: number;
  /** toxicP50Ms − plainP50AtToxicRateMs − nominal. */
  toxicP50ErrorMs: number;
  histogram: HistogramJSON;
}

export interface EngineBenchReport {
  settings: EngineBenchSettings;
  figures: EngineFigures[];
  /** Engines that could not be measured, and why. */
  unavailable: { id: EngineId; reason: string; failed: boolean }[];
  goals: { engine: EngineId; goal: string; measured: string; met: boolean }[];
}

/** toxiproxy-server on PATH (or MESHPROOF_BENCH_TOXIPROXY), with its version; null when there is none. */
export function findToxiproxyServer(env: NodeJS.ProcessEnv = process.env): { path: string; version: string } | null {
  const named = env.MESHPROOF_BENCH_TOXIPROXY;
  if (named === 'none') return null;
  const candidates = named ? [named] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'toxiproxy-server'));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const v = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 5000 });
    return { path, version: (v.stdout || v.stderr || '').trim().split('\n')[0] || 'unknown version' };
  }
  return null;
}

interface StartedEngine {
  id: EngineId;
  describe: string;
  plain: Target;
  toxic: Target;
  pid: number;
}

async function setUpProxies(url: string, upstreamPort: number, toxicLatencyMs: number, credential?: string): Promise<{ plain: Target; toxic: Target; version: string }> {
  const driver = new ToxiproxyDriver({ url, timeoutMs: 5000, credential });
  try {
    const version = await driver.version();
    const [plain, toxic] = await Promise.all([
      driver.createProxy({ name: 'bench', upstream: `${HOST}:${upstreamPort}`, listen: `${HOST}:0` }),
      driver.createProxy({ name: 'bench-latency', upstream: `${HOST}:${upstreamPort}`, listen: `${HOST}:0` }),
    ]);
    await driver.addToxic('bench-latency', { type: 'latency', stream: 'downstream', attributes: { latency: toxicLatencyMs, jitter: 0 } });
    return { plain: { url: `http://${HOST}:${plain.port}/` }, toxic: { url: `http://${HOST}:${toxic.port}/` }, version };
  } finally {
    driver.close();
  }
}

async function startMeshproofEngine(o: { upstreamPort: number; children: BenchChildren; signal: AbortSignal; toxicLatencyMs: number }): Promise<StartedEngine> {
  // As a run's engine: it takes writes only with the credential handed over IPC.
  const credential = newRunCredential();
  const s = await spawnNodeChild({ name: 'fault engine', script: ENGINE_MAIN, env: { MESHPROOF_SEED: '1' }, credential, readyTimeoutMs: 10_000, signal: o.signal });
  o.children.add(s.child, 'fault engine');
  if (s.ready.type !== 'ready' || s.ready.role !== 'fault-engine') throw new Error('the fault engine sent an unexpected ready message');
  const p = await setUpProxies(`http://${HOST}:${s.ready.port}`, o.upstreamPort, o.toxicLatencyMs, credential);
  return { id: 'meshproof', describe: `meshproof's engine ${p.version} (1 node process)`, plain: p.plain, toxic: p.toxic, pid: s.child.pid! };
}

async function startToxiproxy(o: { path: string; version: string; upstreamPort: number; children: BenchChildren; signal: AbortSignal; toxicLatencyMs: number }): Promise<StartedEngine> {
  const port = await freePort();
  const child = spawn(o.path, ['-host', HOST, '-port', String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
  o.children.add(child, 'toxiproxy-server');
  let exited: string | null = null;
  child.once('exit', (code, sig) => (exited = `exited (code ${code}, signal ${sig})`));
  child.once('error', (err) => (exited = err.message));
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error(`toxiproxy-server ${exited}`);
    if (o.signal.aborted) throw new Error('interrupted');
    const ok = await fetch(`${url}/version`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`toxiproxy-server did not answer on ${url} within 10s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const p = await setUpProxies(url, o.upstreamPort, o.toxicLatencyMs);
  return { id: 'toxiproxy', describe: `toxiproxy-server ${p.version} (${o.version})`, plain: p.plain, toxic: p.toxic, pid: child.pid! };
}

function emptyTotals(): Totals {
  return { fixed: new Histogram(), fixedResponses: 0, fixedWindowMs: 0, saturatedResponses: 0, saturatedWindowMs: 0, failures: 0, toxic: new Histogram(), plainAtToxicRate: new Histogram() };
}

const failuresOf = (r: LoadWindowResult) => r.non2xx + r.errors;

/** Measures direct vs each engine; engines that cannot start are reported, not fatal. */
export async function benchEngine(o: {
  upstreamPort: number;
  children: BenchChildren;
  signal: AbortSignal;
  settings?: Partial<EngineBenchSettings>;
  log: (msg: string) => void;
}): Promise<EngineBenchReport> {
  const settings = { ...DEFAULT_ENGINE_SETTINGS, ...o.settings };
  const unavailable: EngineBenchReport['unavailable'] = [];
  const engines: StartedEngine[] = [];
  try {
    engines.push(await startMeshproofEngine({ ...o, toxicLatencyMs: settings.toxicLatencyMs }));
  } catch (err) {
    if (o.signal.aborted) throw err;
    unavailable.push({ id: 'meshproof', reason: `could not start: ${(err as Error).message}`, failed: true });
  }
  const real = findToxiproxyServer();
  if (!real) {
    unavailable.push({ id: 'toxiproxy', reason: process.env.MESHPROOF_BENCH_TOXIPROXY === 'none' ? 'left out (MESHPROOF_BENCH_TOXIPROXY=none)' : 'no toxiproxy-server on PATH (or MESHPROOF_BENCH_TOXIPROXY)', failed: false });
  } else {
    try {
      engines.push(await startToxiproxy({ ...real, ...o, toxicLatencyMs: settings.toxicLatencyMs }));
    } catch (err) {
      if (o.signal.aborted) throw err;
      unavailable.push({ id: 'toxiproxy', reason: `${real.path} did not start: ${(err as Error).message}`, failed: false });
    }
  }

  const direct: Target = { url: `http://${HOST}:${o.upstreamPort}/` };
  const targets: { id: TargetId; target: Target; engine?: StartedEngine }[] = [{ id: 'direct', target: direct }, ...engines.map((e) => ({ id: e.id, target: e.plain, engine: e }))];
  const totals = new Map<TargetId, Totals>(targets.map((t) => [t.id, emptyTotals()]));
  const order = (r: number) => (r % 2 === 0 ? targets : [...targets].reverse());
  const check = () => {
    if (o.signal.aborted) throw new Error('interrupted');
  };

  for (const t of targets) await runSaturated(t.target, { connections: 10, warmupMs: 0, windowMs: 1000 });
  for (const e of engines) await runSaturated(e.toxic, { connections: 10, warmupMs: 0, windowMs: 1000 });

  for (let r = 0; r < settings.rounds; r++) {
    for (const t of order(r)) {
      check();
      o.log(`engine round ${r + 1}/${settings.rounds}: ${t.id} at ${settings.rate} rps`);
      const res = await runFixedRate(t.target, { rate: settings.rate, connections: settings.connections, warmupMs: settings.warmupMs, windowMs: settings.windowMs });
      const tot = totals.get(t.id)!;
      tot.fixed.merge(res.histogram);
      tot.fixedResponses += res.responses;
      tot.fixedWindowMs += res.windowMs;
      tot.failures += failuresOf(res);
    }
  }
  for (let r = 0; r < settings.rounds; r++) {
    for (const t of order(r + 1)) {
      check();
      o.log(`engine round ${r + 1}/${settings.rounds}: ${t.id} saturated`);
      const res = await runSaturated(t.target, { connections: settings.saturatedConnections, warmupMs: settings.saturatedWarmupMs, windowMs: settings.saturatedWindowMs });
      const tot = totals.get(t.id)!;
      tot.saturatedResponses += res.responses;
      tot.saturatedWindowMs += res.windowMs;
      tot.failures += failuresOf(res);
    }
  }
  // The toxic's accuracy: with and without it, through the same engine, back to back.
  for (let r = 0; r < settings.rounds; r++) {
    for (const e of r % 2 === 0 ? engines : [...engines].reverse()) {
      const pair: [Target, 'toxic' | 'plainAtToxicRate'][] = [[e.toxic, 'toxic'], [e.plain, 'plainAtToxicRate']];
      for (const [target, key] of r % 2 === 0 ? pair : pair.reverse()) {
        check();
        o.log(`engine round ${r + 1}/${settings.rounds}: ${e.id} ${key === 'toxic' ? `with a ${settings.toxicLatencyMs}ms latency toxic` : 'without it'} at ${settings.toxicRate} rps`);
        const res = await runFixedRate(target, { rate: settings.toxicRate, connections: settings.connections, warmupMs: settings.warmupMs, windowMs: settings.windowMs });
        const tot = totals.get(e.id)!;
        tot[key].merge(res.histogram);
        tot.failures += failuresOf(res);
      }
    }
  }

  const d = totals.get('direct')!;
  const directFig = figures('direct', 'load generator → upstream', d, null, settings);
  const figs = [directFig, ...engines.map((e) => figures(e.id, e.describe, totals.get(e.id)!, directFig, settings))];
  return { settings, figures: figs, unavailable, goals: goalsOf(figs, settings) };
}

function figures(id: TargetId, describe: string, t: Totals, direct: EngineFigures | null, s: EngineBenchSettings): EngineFigures {
  const p50Ms = t.fixed.quantile(0.5);
  const p99Ms = t.fixed.quantile(0.99);
  const saturatedRps = t.saturatedWindowMs > 0 ? t.saturatedResponses / (t.saturatedWindowMs / 1000) : NaN;
  const toxicP50Ms = direct ? t.toxic.quantile(0.5) : NaN;
  const plainP50AtToxicRateMs = direct ? t.plainAtToxicRate.quantile(0.5) : NaN;
  return {
    id,
    describe,
    p50Ms,
    p99Ms,
    achievedRps: t.fixedWindowMs > 0 ? t.fixedResponses / (t.fixedWindowMs / 1000) : NaN,
    saturatedRps,
    failures: t.failures,
    addedP50Ms: direct ? p50Ms - direct.p50Ms : NaN,
    addedP99Ms: direct ? p99Ms - direct.p99Ms : NaN,
    saturatedRatio: direct ? saturatedRps / direct.saturatedRps : NaN,
    toxicP50Ms,
    plainP50AtToxicRateMs,
    toxicP50ErrorMs: toxicP50Ms - plainP50AtToxicRateMs - s.toxicLatencyMs,
    histogram: t.fixed.toJSON(),
  };
}

function goalsOf(figs: EngineFigures[], s: EngineBenchSettings): EngineBenchReport['goals'] {
  const goals: EngineBenchReport['goals'] = [];
  for (const f of figs) {
    if (f.id === 'direct') continue;
    goals.push(
      {
        engine: f.id,
        goal: `saturated rps ≥ ${ENGINE_GOALS.saturatedRatioToDirect} × direct`,
        measured: `${Math.round(f.saturatedRps)} rps = ${f.saturatedRatio.toFixed(2)} × direct`,
        met: f.saturatedRatio >= ENGINE_GOALS.saturatedRatioToDirect,
      },
      // The goal is stated at 1000 rps; at another --rate the line says so.
      { engine: f.id, goal: `added p50 at ${s.rate} rps ≤ ${ENGINE_GOALS.addedP50Ms} ms`, measured: `${f.addedP50Ms.toFixed(3)} ms`, met: f.addedP50Ms <= ENGINE_GOALS.addedP50Ms },
      {
        engine: f.id,
        goal: `${s.toxicLatencyMs}ms latency toxic within ${ENGINE_GOALS.toxicP50ErrorMs} ms at p50`,
        measured: `${f.toxicP50ErrorMs >= 0 ? '+' : ''}${f.toxicP50ErrorMs.toFixed(3)} ms (p50 ${f.toxicP50Ms.toFixed(3)} vs ${f.plainP50AtToxicRateMs.toFixed(3)} without)`,
        met: Math.abs(f.toxicP50ErrorMs) <= ENGINE_GOALS.toxicP50ErrorMs,
      },
    );
  }
  return goals;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const rps = (x: number) => (Number.isFinite(x) ? Math.round(x).toString() : '—');

/** The engine's table and goals, printed after the sidecar bench's. */
export function formatEngineReport(r: EngineBenchReport): string {
  const s = r.settings;
  const out: string[] = [
    `fault engine: direct vs through a Toxiproxy proxy (${s.rounds} interleaved rounds; ${s.rate} rps over ${s.connections} connections; saturated with ${s.saturatedConnections} connections; ` +
      `a ${s.toxicLatencyMs}ms latency toxic measured at ${s.toxicRate} rps against the same engine without it)`,
    '',
  ];
  const cols = r.figures;
  const rows: [string, (f: EngineFigures) => string][] = [
    ['p50 at fixed rate (ms)', (f) => ms(f.p50Ms)],
    ['p99 at fixed rate (ms)', (f) => ms(f.p99Ms)],
    ['added p50 vs direct (ms)', (f) => (f.id === 'direct' ? '—' : ms(f.addedP50Ms))],
    ['added p99 vs direct (ms)', (f) => (f.id === 'direct' ? '—' : ms(f.addedP99Ms))],
    ['achieved rate (rps)', (f) => rps(f.achievedRps)],
    ['saturated (rps)', (f) => rps(f.saturatedRps)],
    ['saturated ÷ direct', (f) => (f.id === 'direct' ? '—' : f.saturatedRatio.toFixed(2))],
    [`p50 with ${s.toxicLatencyMs}ms toxic (ms)`, (f) => (f.id === 'direct' ? '—' : ms(f.toxicP50Ms))],
    ['p50 without, same rate (ms)', (f) => (f.id === 'direct' ? '—' : ms(f.plainP50AtToxicRateMs))],
    ['toxic p50 error (ms)', (f) => (f.id === 'direct' ? '—' : ms(f.toxicP50ErrorMs))],
    ['failed responses', (f) => String(f.failures)],
  ];
  const label = (id: TargetId) => (id === 'direct' ? 'direct' : id === 'meshproof' ? 'meshproof engine' : 'toxiproxy-server');
  const header = ['', ...cols.map((f) => label(f.id))];
  const body = rows.map(([name, f]) => [name, ...cols.map(f)]);
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((row) => [...row[c]].length)));
  for (const row of [header, ...body]) out.push(row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ').trimEnd());
  out.push('');
  for (const f of cols) if (f.id !== 'direct') out.push(`${label(f.id)}: ${f.describe}`);
  for (const u of r.unavailable) out.push(`${label(u.id)}: ${u.failed ? 'FAILED: ' : 'not measured: '}${u.reason}`);
  out.push('', 'Fault engine goals (Toxiproxy on this machine: 8.7–10.3k rps where direct reached 13–16k):');
  for (const g of r.goals) out.push(`  ${g.met ? '✓' : '✗'} ${label(g.engine)}: ${g.goal.padEnd(40)} ${g.measured}`);
  return out.join('\n');
}

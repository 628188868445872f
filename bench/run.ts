import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Histogram } from '../src/contract/histogram.ts';
import { spawnNodeChild } from '../src/process/child-process.ts';
import { PATH_LABELS, type PathId, type StartedPath } from './bench-path.ts';
import { BenchChildren, reapBenchOrphans } from './children.ts';
import { runEngineBench } from './engine.ts';
import { formatEngineReport } from './engine-bench.ts';
import { runFixedRate, runSaturated, stopAllLoad, type LoadWindowResult, type Target, type WindowHooks } from './load.ts';
import { findNginx, NGINX_MISSING, startNginxPair } from './nginx-pair.ts';
import { CLOCK_TICKS, coresUsed, cpuSnapshot, machineTicks, memory, procAvailable, readStat, withDescendants, type CpuSnapshot } from './proc-stats.ts';
import { buildReport, formatReport, type Machine, type PathMeasurement, type PathOutcome, type RoundRecord, type Settings } from './report.ts';
import { sidecarPresent, sidecarScript, startSidecarPair } from './sidecar-pair.ts';
import { parseTopologies, parseVariants, runScaleBench } from './scale.ts';
import { runStartupBench } from './startup.ts';
import { formatThreeHop, runThreeHopBench, THREE_HOP_DEFAULTS } from './three-hop.ts';
import { CertificateAuthority } from '../src/security/certificate-authority.ts';
import { measureHandshakes, type HandshakeFigures } from './handshake.ts';

/**
`npm run bench`: the cost of the mesh's request path, measured three ways in one run (direct to the
upstream, through a pair of meshproof sidecars, through a pair of nginx) with the same load
generator, the same upstream, and rounds that alternate between the paths so that whatever else
the machine is doing hits all three alike. Prints a table and writes reports/bench/sidecar.json.
See docs/benchmarks.md.
*/

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UPSTREAM_MAIN = fileURLToPath(new URL('./upstream.ts', import.meta.url));
const RECEIVER_MAIN = fileURLToPath(new URL('./trace-receiver.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../reports/bench/sidecar.json', import.meta.url));

const USAGE = `usage: npm run bench -- [--rounds N] [--rate RPS] [--seconds S] [--saturated-seconds S] [--out FILE]
       npm run bench -- scale [--scale-rounds N] [--scale-topologies 30x3,10x2] [--scale-docker auto|on|off] [--scale-cold on|off] [--scale-variants before,now,hosted]
  --rounds N             interleaved rounds per measurement (default 2)
  --rate RPS             the fixed request rate (default 1000)
  --seconds S            measured seconds per fixed-rate round, after a 1s warm-up (default 4)
  --saturated-seconds S  measured seconds per saturated round (default 3)
  --out FILE             where the JSON goes (default reports/bench/sidecar.json)
  --startup-rounds N     rounds of topology start-up, local vs Docker, after the request path
                         (default 2; 0 leaves it out); writes reports/bench/startup.json
scale: only the scale part (topologies started, local before vs now vs hosted, Docker): writes reports/bench/scale.json
  --scale-rounds N       interleaved rounds (default 2)
  --scale-topologies L   services x replicas, comma-separated (default 30x3,10x2)
  --scale-docker M       Docker 10x2 when an engine answers (auto, the default), always (on), never (off)
  --scale-cold M         also the small topologies with an empty compile cache (on, the default; off)
  --scale-variants L     local cases, comma-separated: before (all booted at once), now (a process per
                         sidecar and app), hosted (pod hosting on) (default before,now,hosted)
       npm run bench -- three-hop [--three-hop-rates 250,500,1000,2000] [--three-hop-seconds S]
three-hop: only a client → front → middle → back scenario at each rate (bench/three-hop.ts): writes reports/bench/three-hop.json
  --three-hop-rates L    rates to try, requests a second, comma-separated (default 250,500,1000,2000)
  --three-hop-seconds S  measured seconds at each rate (default 6)`;

/** The parts of the bench named on the command line: none = the request path, the fault engine and start-up, as always. */
const PARTS = ['scale', 'three-hop'] as const;

function parseSettings(argv: string[]): { settings: Settings; out: string; parts: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'scale-rounds': { type: 'string' },
      'scale-topologies': { type: 'string' },
      'scale-docker': { type: 'string' },
      'scale-cold': { type: 'string' },
      'scale-variants': { type: 'string' },
      'three-hop-rates': { type: 'string' },
      'three-hop-seconds': { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'saturated-seconds': { type: 'string' },
      out: { type: 'string' },
      'startup-rounds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const p of positionals) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part "${p}": the parts are ${PARTS.join(', ')}\n${USAGE}`);
  const num = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${v}"\n${USAGE}`);
    return n;
  };
  return {
    settings: {
      rate: Math.round(num('rate', values.rate, 1000, 1)),
      fixedConnections: 20,
      warmupMs: 1000,
      fixedWindowMs: num('seconds', values.seconds, 4, 0.5) * 1000,
      saturatedConnections: 50,
      saturatedWarmupMs: 500,
      saturatedWindowMs: num('saturated-seconds', values['saturated-seconds'], 3, 0.5) * 1000,
      rounds: Math.round(num('rounds', values.rounds, 2, 1)),
    },
    out: values.out ?? DEFAULT_OUT,
    parts: positionals,
  };
}

/** Totals for one path over all its rounds. */
class PathTotals {
  readonly fixed = { histogram: new Histogram(), responses: 0, non2xx: 0, errors: 0, windowMs: 0 };
  readonly saturated = { histogram: new Histogram(), responses: 0, non2xx: 0, errors: 0, windowMs: 0 };
  fixedCpuSeconds = 0;
  fixedWallSeconds = 0;
  fixedRssBytes = 0;
  fixedAnonBytes = 0;
  saturatedCpuSeconds = 0;
  saturatedWallSeconds = 0;
  loadGenCpuSeconds = 0;
  loadGenWallSeconds = 0;
  idleRssBytes = 0;
  idleAnonBytes = 0;
  processes = 0;

  /** One round's window and what the path's proxies (and, saturated, the load generator) cost during it. */
  add(kind: 'fixed' | 'saturated', r: LoadWindowResult, cost: ProbeCost): void {
    const t = this[kind];
    t.histogram.merge(r.histogram);
    t.responses += r.responses;
    t.non2xx += r.non2xx;
    t.errors += r.errors;
    t.windowMs += r.windowMs;
    if (kind === 'fixed') {
      this.fixedCpuSeconds += cost.cpuSeconds;
      this.fixedWallSeconds += cost.wallSeconds;
      if (cost.rssBytes > this.fixedRssBytes) {
        this.fixedRssBytes = cost.rssBytes;
        this.fixedAnonBytes = cost.anonBytes;
      }
    } else {
      this.saturatedCpuSeconds += cost.cpuSeconds;
      this.saturatedWallSeconds += cost.wallSeconds;
      this.loadGenCpuSeconds += cost.selfCpuSeconds;
      this.loadGenWallSeconds += cost.selfWallSeconds;
    }
  }

  toMeasurement(path: StartedPath): PathMeasurement {
    const h = (t: PathTotals['fixed']) => ({ ...t, histogram: t.histogram.toJSON() });
    return {
      id: path.id,
      describe: path.describe,
      fixed: h(this.fixed),
      saturated: h(this.saturated),
      cost:
        path.id === 'direct'
          ? null
          : {
              fixedCpuSeconds: this.fixedCpuSeconds,
              fixedWallSeconds: this.fixedWallSeconds,
              fixedRssBytes: this.fixedRssBytes,
              fixedAnonBytes: this.fixedAnonBytes,
              saturatedCpuSeconds: this.saturatedCpuSeconds,
              saturatedWallSeconds: this.saturatedWallSeconds,
              idleRssBytes: this.idleRssBytes,
              idleAnonBytes: this.idleAnonBytes,
              processes: this.processes,
            },
      loadGenSaturatedCores: this.loadGenWallSeconds > 0 ? this.loadGenCpuSeconds / this.loadGenWallSeconds : NaN,
    };
  }
}

type ProbeCost = ReturnType<typeof costProbe>['result'];

/** Snapshots CPU (and, at the end, RSS) of a path's proxies and of the bench itself around a window. */
function costProbe(pids: number[]) {
  let before: CpuSnapshot | null = null;
  let selfBefore: NodeJS.CpuUsage | null = null;
  let selfStart = 0;
  const result = { cpuSeconds: 0, wallSeconds: 0, rssBytes: 0, anonBytes: 0, selfCpuSeconds: 0, selfWallSeconds: 0 };
  return {
    result,
    hooks: {
      onWindowStart() {
        before = cpuSnapshot(pids);
        selfBefore = process.cpuUsage();
        selfStart = performance.now();
      },
      onWindowEnd() {
        if (!before || !selfBefore) return;
        const used = coresUsed(before, cpuSnapshot(pids));
        result.cpuSeconds = used.cpuSeconds;
        result.wallSeconds = used.wallSeconds;
        const mem = memory(pids);
        result.rssBytes = mem.rss;
        result.anonBytes = mem.anon;
        const self = process.cpuUsage(selfBefore);
        result.selfCpuSeconds = (self.user + self.system) / 1e6;
        result.selfWallSeconds = (performance.now() - selfStart) / 1000;
      },
    },
  };
}

function roundRecord(path: PathId, kind: 'fixed' | 'saturated', round: number, res: LoadWindowResult, cost: { cpuSeconds: number; wallSeconds: number }): RoundRecord {
  return {
    path,
    kind,
    round,
    p50Ms: res.histogram.quantile(0.5),
    p99Ms: res.histogram.quantile(0.99),
    rps: res.rps,
    proxyCores: cost.wallSeconds > 0 ? cost.cpuSeconds / cost.wallSeconds : 0,
  };
}

/** One request through a path: it must answer 200 before it is worth measuring. */
async function probe(target: Target, timeoutMs = 3000): Promise<void> {
  // node:http rather than fetch: fetch does not let the caller set the Host header, which the sidecar routes by.
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(target.url, { headers: target.host ? { host: target.host } : {}, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
  if (status !== 200) throw new Error(`a probe request to ${target.url} (Host: ${target.host ?? 'default'}) answered ${status}: ${body.slice(0, 200)}`);
}

/** The commit under test, and whether src/sim has uncommitted changes (then the figures are for those). */
function sourceInfo(): { commit: string; sidecarModified: boolean } | null {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return null;
  const status = git(['status', '--porcelain', '--', 'src/sim']);
  return { commit: head.stdout.trim(), sidecarModified: status.status === 0 && status.stdout.trim() !== '' };
}

/**
How much CPU the rest of the machine used while the bench ran: other engineers' builds and tests,
say. Everything busy minus the bench and its children; read just before the children stop.
*/
function otherWork(start: { ticks: ReturnType<typeof machineTicks>; self: NodeJS.CpuUsage; at: number }, children: BenchChildren) {
  const now = machineTicks();
  const self = process.cpuUsage(start.self);
  let ours = ((self.user + self.system) / 1e6) * CLOCK_TICKS;
  // Every child started after `start`, so all of its CPU time falls inside the run.
  for (const pid of withDescendants(children.pids())) ours += readStat(pid)?.cpuTicks ?? 0;
  const wallS = (performance.now() - start.at) / 1000;
  return {
    otherCores: Math.max(0, (now.busy - start.ticks.busy - ours) / CLOCK_TICKS / wallS),
    stealCores: (now.steal - start.ticks.steal) / CLOCK_TICKS / wallS,
  };
}

function machine(loadAvgStart: number, other: { otherCores: number; stealCores: number }): Machine {
  return {
    ...other,
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: process.platform,
    kernel: release(),
    loadAvgStart,
    loadAvgEnd: loadavg()[0],
  };
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function main(children: BenchChildren, abort: AbortController): Promise<number> {
  const { settings, out } = parseSettings(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAvgStart = loadavg()[0];
  const runStart = { ticks: machineTicks(), self: process.cpuUsage(), at: performance.now() };
  const rounds: RoundRecord[] = [];
  if (!procAvailable()) throw new Error('the bench reads CPU and memory from /proc: run it on Linux');
  const reaped = reapBenchOrphans();
  if (reaped.length > 0) log(`killed ${reaped.length} process(es) an earlier bench left behind: ${reaped.join(', ')}`);

  try {
    const upstream = await spawnNodeChild({ name: 'bench upstream', script: UPSTREAM_MAIN, env: {}, readyTimeoutMs: 10_000, signal: abort.signal });
    children.add(upstream.child, 'upstream');
    if (upstream.ready.type !== 'ready' || upstream.ready.role !== 'app') throw new Error('the bench upstream sent an unexpected ready message');
    const upstreamPort = upstream.ready.port;

    const started: StartedPath[] = [];
    const outcomes = new Map<PathId, PathOutcome>();
    started.push({ id: 'direct', url: `http://127.0.0.1:${upstreamPort}/`, proxyPids: () => [], describe: 'load generator → upstream' });

    const script = sidecarScript();
    if (!sidecarPresent(script)) {
      outcomes.set('sidecar', { id: 'sidecar', unavailable: `no sidecar at ${relative(ROOT, script)} yet`, failed: true });
    } else {
      try {
        started.push(await startSidecarPair({ upstreamPort, children, signal: abort.signal, script }));
      } catch (err) {
        if (abort.signal.aborted) throw err;
        outcomes.set('sidecar', { id: 'sidecar', unavailable: `could not start: ${(err as Error).message}`, failed: true });
      }
    }

    // The same pair speaking mutual TLS (issue 13): its CPU and added latency over the plaintext pair.
    let ca: CertificateAuthority | null = null;
    if (sidecarPresent(script)) {
      try {
        ca = await CertificateAuthority.create({ trustDomain: 'cluster.local' });
        started.push(await startSidecarPair({ upstreamPort, children, signal: abort.signal, script, ca }));
      } catch (err) {
        if (abort.signal.aborted) throw err;
        outcomes.set('mtls', { id: 'mtls', unavailable: `could not start: ${(err as Error).message}`, failed: true });
      }
    }

    if (process.env.MESHPROOF_BENCH_TRACES === 'none') outcomes.set('traced', { id: 'traced', unavailable: 'left out (MESHPROOF_BENCH_TRACES=none)', failed: false });
    else if (sidecarPresent(script)) {
      try {
        const receiver = await spawnNodeChild({ name: 'bench trace receiver', script: RECEIVER_MAIN, env: {}, readyTimeoutMs: 10_000, signal: abort.signal });
        children.add(receiver.child, 'trace receiver');
        if (receiver.ready.type !== 'ready' || receiver.ready.role !== 'app') throw new Error('the trace receiver sent an unexpected ready message');
        const tracesUrl = `http://127.0.0.1:${receiver.ready.port}/v1/traces`;
        started.push(await startSidecarPair({ upstreamPort, children, signal: abort.signal, script, tracesUrl }));
      } catch (err) {
        if (abort.signal.aborted) throw err;
        outcomes.set('traced', { id: 'traced', unavailable: `could not start: ${(err as Error).message}`, failed: true });
      }
    }

    const nginx = findNginx();
    if (!nginx) {
      const reason = process.env.MESHPROOF_BENCH_NGINX === 'none' ? 'left out (MESHPROOF_BENCH_NGINX=none)' : NGINX_MISSING;
      outcomes.set('nginx', { id: 'nginx', unavailable: reason, failed: false });
    } else {
      try {
        started.push(await startNginxPair({ nginx, upstreamPort, children, signal: abort.signal }));
      } catch (err) {
        if (abort.signal.aborted) throw err;
        outcomes.set('nginx', { id: 'nginx', unavailable: `nginx ${nginx.version} did not start: ${(err as Error).message}`, failed: false });
      }
    }

    const paths: StartedPath[] = [];
    for (const p of started) {
      try {
        await probe(p);
        paths.push(p);
      } catch (err) {
        if (p.id === 'direct') throw new Error(`the upstream does not answer: ${(err as Error).message}`);
        outcomes.set(p.id, { id: p.id, unavailable: (err as Error).message, failed: p.id === 'sidecar' });
      }
    }
    log(`measuring: ${paths.map((p) => PATH_LABELS[p.id]).join(', ')}`);
    for (const o of outcomes.values()) if ('unavailable' in o) log(`not measured: ${PATH_LABELS[o.id]}: ${o.unavailable}`);

    const totals = new Map(paths.map((p) => [p.id, new PathTotals()]));
    const pidsOf = new Map(paths.map((p) => [p.id, withDescendants(p.proxyPids())]));
    for (const p of paths) {
      const t = totals.get(p.id)!;
      t.processes = pidsOf.get(p.id)!.length;
      const mem = memory(pidsOf.get(p.id)!);
      t.idleRssBytes = mem.rss;
      t.idleAnonBytes = mem.anon;
    }

    // Prime every path (JIT, connection pools) before anything is measured.
    for (const p of paths) await runSaturated(p, { connections: 10, warmupMs: 0, windowMs: 1000 });

    // Round r runs the paths in order, round r+1 in reverse (ABC CBA…), so a drift in the
    // machine's load over the run does not favour the path that happens to run first.
    const orderFor = (r: number) => (r % 2 === 0 ? paths : [...paths].reverse());
    const measure = async (kind: 'fixed' | 'saturated', r: number, p: StartedPath, run: (hooks: WindowHooks) => Promise<LoadWindowResult>) => {
      if (abort.signal.aborted) throw new Error('interrupted');
      log(`round ${r + 1}/${settings.rounds}: ${PATH_LABELS[p.id]} ${kind === 'fixed' ? `at ${settings.rate} rps` : 'saturated'}`);
      const probeCost = costProbe(pidsOf.get(p.id)!);
      const res = await run(probeCost.hooks);
      totals.get(p.id)!.add(kind, res, probeCost.result);
      rounds.push(roundRecord(p.id, kind, r + 1, res, probeCost.result));
    };
    const fixed = { rate: settings.rate, connections: settings.fixedConnections, warmupMs: settings.warmupMs, windowMs: settings.fixedWindowMs };
    for (let r = 0; r < settings.rounds; r++) {
      for (const p of orderFor(r)) await measure('fixed', r, p, (hooks) => runFixedRate(p, fixed, hooks));
    }
    const saturated = { connections: settings.saturatedConnections, warmupMs: settings.saturatedWarmupMs, windowMs: settings.saturatedWindowMs };
    for (let r = 0; r < settings.rounds; r++) {
      for (const p of orderFor(r + 1)) await measure('saturated', r, p, (hooks) => runSaturated(p, saturated, hooks));
    }

    for (const p of paths) outcomes.set(p.id, { id: p.id, measured: totals.get(p.id)!.toMeasurement(p) });
    // Handshakes on their own, after the load: a keep-alive run makes only a few.
    const mtlsPath = paths.find((p) => p.id === 'mtls');
    let handshake: HandshakeFigures | null = null;
    if (ca && mtlsPath?.calleeInbound) {
      log('timing mutual TLS handshakes with the callee sidecar');
      handshake = await measureHandshakes(ca, mtlsPath.calleeInbound);
    }
    const report = buildReport({
      at: startedAt,
      durationS: (performance.now() - t0) / 1000,
      machine: machine(loadAvgStart, otherWork(runStart, children)),
      settings,
      source: sourceInfo(),
      rounds,
      outcomes: (['direct', 'sidecar', 'mtls', 'traced', 'nginx'] as const).map((id) => outcomes.get(id)!).filter(Boolean),
      handshake,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(formatReport(report));
    console.log(`\nwritten: ${relative(process.cwd(), out) || out}`);
    // The fault engine (issue 4): direct vs through a Toxiproxy proxy, against the same upstream.
    // MESHPROOF_BENCH_ENGINE=none leaves it out (npm run bench:engine runs it alone).
    if (process.env.MESHPROOF_BENCH_ENGINE !== 'none') {
      const engineOut = join(dirname(out), 'engine.json');
      const engine = await runEngineBench({ children, signal: abort.signal, upstreamPort, rounds: settings.rounds, rate: settings.rate, out: engineOut, log });
      console.log(`\n${formatEngineReport(engine)}\n\nwritten: ${relative(process.cwd(), engineOut) || engineOut}`);
      if (engine.unavailable.some((u) => u.failed)) {
        console.error(`\nbench: the fault engine could not be measured: ${engine.unavailable.map((u) => u.reason).join('; ')}`);
        return 1;
      }
    }
    const sidecar = report.unavailable.sidecar;
    if (sidecar) {
      console.error(`\nbench: the sidecar pair could not be measured: ${sidecar.reason}`);
      return 1;
    }
    // Figures of a path that failed requests describe a broken path, not a slow one.
    const s = report.paths.sidecar!;
    const m = totals.get('sidecar')!;
    const sent = m.fixed.responses + m.fixed.errors + m.saturated.responses + m.saturated.errors;
    if (s.failures > 0.01 * sent) {
      console.error(`\nbench: the sidecar pair failed ${s.failures} of ${sent} requests: its figures are not a measurement of a working proxy`);
      return 1;
    }
    return 0;
  } finally {
    await children.stopAll();
    children.removeTempDirs();
  }
}

const children = new BenchChildren();
const abort = new AbortController();
let interrupted = false;
const onSignal = (sig: NodeJS.Signals) => {
  if (interrupted) {
    // A second Ctrl-C: no more waiting.
    children.killAllNow();
    process.exit(130);
  }
  interrupted = true;
  log(`${sig}: stopping the load and every process the bench started`);
  abort.abort();
  stopAllLoad();
  void children.stopAll().finally(() => {
    children.removeTempDirs();
    process.exit(130);
  });
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
// Whatever happens, nothing the bench started outlives it.
process.on('exit', () => children.killAllNow());

/** Then topology start-up (bench/startup.ts), once the request path's processes are all gone. */
async function startup(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, options: { 'startup-rounds': { type: 'string' } } });
  const rounds = values['startup-rounds'] === undefined ? 2 : Number(values['startup-rounds']);
  if (!Number.isInteger(rounds) || rounds < 0) {
    console.error(`bench: --startup-rounds must be a whole number ≥ 0, got "${values['startup-rounds']}"`);
    return 2;
  }
  if (rounds === 0 || interrupted) return 0;
  console.log('');
  return runStartupBench({ rounds, out: fileURLToPath(new URL('../reports/bench/startup.json', import.meta.url)), log });
}

/** `npm run bench -- scale`: the scale part alone (bench/scale.ts). */
async function scale(): Promise<number> {
  // The scale part stops its topologies itself on a signal (bench/scale.ts); the request path's handlers would exit first.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, allowPositionals: true, options: { 'scale-rounds': { type: 'string' }, 'scale-topologies': { type: 'string' }, 'scale-docker': { type: 'string' }, 'scale-cold': { type: 'string' }, 'scale-variants': { type: 'string' } } });
  const rounds = Number(values['scale-rounds'] ?? 2);
  const docker = String(values['scale-docker'] ?? 'auto');
  const cold = String(values['scale-cold'] ?? 'on');
  try {
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--scale-rounds must be a whole number ≥ 1, got "${values['scale-rounds']}"`);
    if (docker !== 'auto' && docker !== 'on' && docker !== 'off') throw new Error(`--scale-docker must be auto, on or off, got "${docker}"`);
    if (cold !== 'on' && cold !== 'off') throw new Error(`--scale-cold must be on or off, got "${cold}"`);
    const topologies = parseTopologies(String(values['scale-topologies'] ?? '30x3,10x2'));
    const variants = parseVariants(String(values['scale-variants'] ?? 'before,now,hosted'));
    if (!procAvailable()) throw new Error('the bench reads memory and CPU from /proc: run it on Linux');
    return await runScaleBench({ rounds, topologies, variants, docker, cold: cold === 'on', out: fileURLToPath(new URL('../reports/bench/scale.json', import.meta.url)), log });
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    return 2;
  }
}

/** `npm run bench -- three-hop`: the three-hop chain alone (bench/three-hop.ts). */
async function threeHop(): Promise<number> {
  // Each run tears its topology down itself on a signal (the API's abort), as `meshproof run` does.
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.off(sig, onSignal);
    process.once(sig, () => stop.abort());
  }
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, allowPositionals: true, options: { 'three-hop-rates': { type: 'string' }, 'three-hop-seconds': { type: 'string' } } });
  try {
    const rates = values['three-hop-rates'] === undefined ? THREE_HOP_DEFAULTS.rates : String(values['three-hop-rates']).split(',').map(Number);
    if (rates.some((r) => !Number.isInteger(r) || r < 1)) throw new Error(`--three-hop-rates must be whole numbers ≥ 1, comma-separated, got "${values['three-hop-rates']}"`);
    const seconds = values['three-hop-seconds'] === undefined ? THREE_HOP_DEFAULTS.seconds : Number(values['three-hop-seconds']);
    if (!Number.isFinite(seconds) || seconds < 1) throw new Error(`--three-hop-seconds must be a number ≥ 1, got "${values['three-hop-seconds']}"`);
    const rows = await runThreeHopBench({ ...THREE_HOP_DEFAULTS, rates, seconds }, fileURLToPath(new URL('../reports/bench/three-hop.json', import.meta.url)), stop.signal);
    console.log(formatThreeHop(rows));
    return stop.signal.aborted ? 130 : 0;
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    return 2;
  }
}

let parts: string[];
try {
  parts = parseSettings(process.argv.slice(2)).parts;
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(2);
}
if (parts.includes('scale')) process.exit(await scale());
if (parts.includes('three-hop')) process.exit(await threeHop());

main(children, abort).then(
  async (code) => process.exit(interrupted ? 130 : Math.max(code, await startup())),
  (err: unknown) => {
    if (interrupted) return;
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    void children.stopAll().finally(() => {
      children.removeTempDirs();
      process.exit(1);
    });
  },
);

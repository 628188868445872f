import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnNodeChild } from '../src/process/child-process.ts';
import { BenchChildren, reapBenchOrphans } from './children.ts';
import { benchEngine, formatEngineReport, type EngineBenchReport } from './engine-bench.ts';
import { stopAllLoad } from './load.ts';

/**
`npm run bench:engine`: only the fault engine's part of `npm run bench` (direct vs meshproof's
Toxiproxy-compatible engine vs a real toxiproxy-server on PATH). Writes reports/bench/engine.json.
*/
const UPSTREAM_MAIN = fileURLToPath(new URL('./upstream.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../reports/bench/engine.json', import.meta.url));
const USAGE = `usage: npm run bench:engine -- [--rounds N] [--rate RPS] [--out FILE]`;

/** Starts the bench upstream, measures the engine, writes the JSON; shared with bench/run.ts. */
export async function runEngineBench(o: { children: BenchChildren; signal: AbortSignal; upstreamPort?: number; rounds?: number; rate?: number; out?: string; log: (m: string) => void }): Promise<EngineBenchReport> {
  let upstreamPort = o.upstreamPort;
  if (upstreamPort === undefined) {
    const upstream = await spawnNodeChild({ name: 'bench upstream', script: UPSTREAM_MAIN, env: {}, readyTimeoutMs: 10_000, signal: o.signal });
    o.children.add(upstream.child, 'upstream');
    if (upstream.ready.type !== 'ready' || upstream.ready.role !== 'app') throw new Error('the bench upstream sent an unexpected ready message');
    upstreamPort = upstream.ready.port;
  }
  const loadAvgStart = loadavg()[0];
  const report = await benchEngine({ upstreamPort, children: o.children, signal: o.signal, settings: { ...(o.rounds ? { rounds: o.rounds } : {}), ...(o.rate ? { rate: o.rate } : {}) }, log: o.log });
  const out = o.out ?? DEFAULT_OUT;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), loadAvgStart, loadAvgEnd: loadavg()[0], ...report }, null, 2) + '\n');
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, rate: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const children = new BenchChildren();
  const abort = new AbortController();
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const stop = () => {
    abort.abort();
    stopAllLoad();
    void children.stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', () => children.killAllNow());
  reapBenchOrphans();
  const out = values.out ?? DEFAULT_OUT;
  runEngineBench({ children, signal: abort.signal, rounds: values.rounds ? Number(values.rounds) : undefined, rate: values.rate ? Number(values.rate) : undefined, out, log })
    .then((report) => {
      console.log(formatEngineReport(report));
      console.log(`\nwritten: ${relative(process.cwd(), out) || out}`);
      return report.unavailable.some((u) => u.failed) ? 1 : 0;
    })
    .catch((err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    })
    .then(async (code) => {
      await children.stopAll();
      process.exit(code);
    });
}

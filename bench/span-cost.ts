import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnNodeChild } from '../src/process/child-process.ts';
import { BenchChildren, reapBenchOrphans } from './children.ts';

/**
`npm run bench:spans`: what one span costs a sidecar, made and exported the sidecar's lean way
(sdk-trace-base, OTLP/HTTP JSON) and the @opentelemetry/sdk-node way (NodeSDK from the
environment, OTLP/HTTP protobuf, and JSON), and what the harness spends sending a sidecar span on
to the user's collector, side by side: rounds alternate between the variants,
each in a fresh process, all exporting to the same receiver in its own process (the harness's
receiver, keeping nothing). Prints a table (median over rounds) with the machine's load, and writes
reports/bench/span-cost.json. See docs/traces.md.
*/

const CHILD = fileURLToPath(new URL('./span-cost-child.ts', import.meta.url));
const RECEIVER_MAIN = fileURLToPath(new URL('./trace-receiver.ts', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../reports/bench/span-cost.json', import.meta.url));
const VARIANTS = ['none', 'lean', 'sdk-base', 'sdk-node', 'sdk-node-json', 'sdk-node-b128', 'harness'] as const;
type Variant = (typeof VARIANTS)[number];

interface ChildResult {
  variant: Variant;
  spans: number;
  cpuUs: number;
  wallMs: number;
  setupMs: number;
  rssSetupMb: number;
  rssEndMb: number;
  dropped: number;
  load1: number;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { rounds: { type: 'string' }, spans: { type: 'string' }, rate: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log(`usage: npm run bench:spans -- [--rounds N] [--spans N] [--rate R] [--out FILE]
  --rounds N   interleaved rounds (default 5)
  --spans N    spans measured per variant and round, after a tenth as warm-up (default 20000)
  --rate R     spans made per second, steadily, as a sidecar under load would (default 4000)
  --out FILE   where the JSON goes (default reports/bench/span-cost.json)`);
  process.exit(0);
}
const rounds = Number(values.rounds ?? '5');
const spans = Number(values.spans ?? '20000');
const rate = Number(values.rate ?? '4000');
for (const [name, v] of [['rounds', rounds], ['spans', spans], ['rate', rate]] as const) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`bench:spans: --${name} must be a whole number ≥ 1, got ${v}`);
    process.exit(2);
  }
}

reapBenchOrphans();
const children = new BenchChildren();
const abort = new AbortController();
process.once('SIGINT', () => {
  abort.abort();
  children.killAllNow();
  process.exit(130);
});

const load1AtStart = loadavg();
const results: ChildResult[] = [];
try {
  const receiver = await spawnNodeChild({ name: 'bench trace receiver', script: RECEIVER_MAIN, env: {}, readyTimeoutMs: 10_000, signal: abort.signal });
  children.add(receiver.child, 'trace receiver');
  if (receiver.ready.type !== 'ready' || receiver.ready.role !== 'app') throw new Error('the trace receiver sent an unexpected ready message');
  const endpoint = `http://127.0.0.1:${receiver.ready.port}/v1/traces`;
  for (let r = 0; r < rounds; r++) {
    // Each round in another order, so no variant always follows the same one.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
    for (const variant of order) {
      const res = await runChild(variant, endpoint);
      results.push(res);
      process.stderr.write(`round ${r + 1}/${rounds} ${variant.padEnd(13)} ${(res.cpuUs / res.spans).toFixed(2)} µs CPU/span (before baseline), load ${res.load1.toFixed(1)}\n`);
    }
  }
} finally {
  await children.stopAll();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const of = (v: Variant) => results.filter((x) => x.variant === v);
const baseline = median(of('none').map((x) => x.cpuUs / x.spans));
const rows = VARIANTS.filter((v) => v !== 'none').map((v) => {
  const rs = of(v);
  const perSpan = rs.map((x) => x.cpuUs / x.spans - baseline);
  return {
    variant: v,
    cpuUsPerSpan: median(perSpan),
    cpuUsPerSpanMin: Math.min(...perSpan),
    cpuUsPerSpanMax: Math.max(...perSpan),
    setupMs: median(rs.map((x) => x.setupMs)),
    rssSetupMb: median(rs.map((x) => x.rssSetupMb)),
    rssEndMb: median(rs.map((x) => x.rssEndMb)),
    dropped: rs.reduce((a, x) => a + x.dropped, 0),
  };
});
const machine = { cpus: cpus().length, parallelism: availableParallelism(), model: cpus()[0]?.model ?? '', loadAtStart: load1AtStart, loadAtEnd: loadavg() };
const lean = rows.find((r) => r.variant === 'lean')!;

console.log(`\nspan cost: ${rounds} round(s) × ${spans} spans at ${rate}/s per variant; baseline (pacing only) ${baseline.toFixed(2)} µs per tick-span`);
console.log(`load average at start ${machine.loadAtStart.map((x) => x.toFixed(1)).join(' ')}, at end ${machine.loadAtEnd.map((x) => x.toFixed(1)).join(' ')} (${machine.cpus} cores)\n`);
console.log('variant         CPU µs/span (min–max)     vs lean   load ms   RSS +MB at load   RSS MB at end   dropped');
for (const r of rows) {
  console.log(
    `${r.variant.padEnd(14)} ${r.cpuUsPerSpan.toFixed(1).padStart(6)} (${r.cpuUsPerSpanMin.toFixed(1)}–${r.cpuUsPerSpanMax.toFixed(1)})`.padEnd(40) +
      `${(r.cpuUsPerSpan / lean.cpuUsPerSpan).toFixed(2).padStart(6)}×  ${r.setupMs.toFixed(0).padStart(7)}   ${r.rssSetupMb.toFixed(1).padStart(15)}   ${r.rssEndMb.toFixed(1).padStart(13)}   ${String(r.dropped).padStart(7)}`,
  );
}
const out = values.out ?? DEFAULT_OUT;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ settings: { rounds, spans, rate }, machine, baselineUsPerSpan: baseline, rows, results }, null, 2) + '\n');
console.log(`\n${out}`);
if (rows.some((r) => r.dropped > 0)) {
  console.error('bench:spans: some spans were dropped (a full export queue): the figures of that variant undercount; lower --rate');
  process.exitCode = 1;
}

function runChild(variant: Variant, endpoint: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, MESHPROOF_BENCH_OTLP: endpoint, MESHPROOF_BENCH_SPANS: String(spans), MESHPROOF_BENCH_RATE: String(rate) };
    // Whatever the caller's environment says about OpenTelemetry, the variants set their own.
    for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
    const child = spawn(process.execPath, [CHILD, variant], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    children.add(child, `span-cost ${variant}`);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    let result: ChildResult | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('message', (m: { type: string } & ChildResult) => {
      if (m.type === 'result') result = m;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`span-cost ${variant} exited (${code}) without a result:\n${stderr}`));
    });
  });
}

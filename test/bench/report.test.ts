import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { Histogram } from '../../src/contract/histogram.ts';
import type { PathId } from '../../bench/bench-path.ts';
import { BenchChildren, reapBenchOrphans } from '../../bench/children.ts';
import { nginxConf, NGINX_MISSING } from '../../bench/nginx-pair.ts';
import { coresUsed, cpuSnapshot, readStat } from '../../bench/proc-stats.ts';
import { buildReport, formatReport, MB, type PathMeasurement, type PathOutcome } from '../../bench/report.ts';

/** A path whose every fixed-rate response took `ms`, 1000 rps for 4s, and `satRps` when saturated. */
function measured(id: PathId, ms: number, satRps: number, cost: { cores: number; rssMb: number } | null): PathOutcome {
  const h = new Histogram();
  for (let i = 0; i < 4000; i++) h.record(ms);
  const m: PathMeasurement = {
    id,
    describe: id,
    fixed: { histogram: h.toJSON(), responses: 4000, non2xx: 0, errors: 0, windowMs: 4000 },
    saturated: { histogram: h.toJSON(), responses: satRps * 3, non2xx: 0, errors: 0, windowMs: 3000 },
    cost: cost && {
      fixedCpuSeconds: cost.cores * 4,
      fixedWallSeconds: 4,
      fixedRssBytes: cost.rssMb * MB,
      fixedAnonBytes: (cost.rssMb / 2) * MB,
      saturatedCpuSeconds: 3,
      saturatedWallSeconds: 3,
      idleRssBytes: 10 * MB,
      idleAnonBytes: 5 * MB,
      processes: 2,
    },
    loadGenSaturatedCores: 0.5,
  };
  return { id, measured: m };
}

const machine = { cores: 2, cpuModel: 'test', node: 'v24', platform: 'linux', kernel: 'k', loadAvgStart: 0, loadAvgEnd: 0, otherCores: 0, stealCores: 0 };
const settings = { rate: 1000, fixedConnections: 20, warmupMs: 1000, fixedWindowMs: 4000, saturatedConnections: 50, saturatedWarmupMs: 500, saturatedWindowMs: 3000, rounds: 2 };
const report = (outcomes: PathOutcome[]) => buildReport({ at: new Date(0), durationS: 60, machine, settings, outcomes, rounds: [] });

test('added latency is relative to direct, ratios are sidecar ÷ nginx, and each goal is judged', () => {
  const r = report([
    measured('direct', 0.2, 10_000, null),
    measured('sidecar', 0.5, 3000, { cores: 0.1, rssMb: 80 }),
    measured('nginx', 0.4, 8000, { cores: 0.05, rssMb: 20 }),
  ]);
  assert.ok(Math.abs(r.paths.sidecar!.addedP50Ms - 0.3) < 0.01);
  assert.ok(Math.abs(r.paths.nginx!.addedP50Ms - 0.2) < 0.01);
  assert.ok(Math.abs(r.ratios.addedP50Ms - 1.5) < 0.05);
  assert.ok(Math.abs(r.paths.sidecar!.coresPer1000Rps - 0.1) < 1e-9);
  assert.deepEqual(
    r.goals.map((g) => g.met),
    // added p50 0.3 > 0.2 ✗; added p99 0.3 ≤ 1.5 × 0.2 ✓; 3000 < 60% of 8000 ✗; 0.1 core ✓; 80 MB ✗;
    // the mTLS pair's two goals, not measured here
    [false, true, false, true, false, null, null],
  );
  const text = formatReport(r);
  assert.match(text, /added p50 vs direct \(ms\)\s+—\s+0\.30\d\s+0\.20\d\s+1\.\d\d×/);
  assert.match(text, /✗ sidecar pair's added p50 ≤ nginx pair's/);
  assert.match(text, /✓ ≤ 0\.2 core per 1000 rps\s+0\.100 core for the pair \(0\.050 per sidecar\)/);
});

test('without nginx the table says how to get it and the goals that need it are not judged', () => {
  const r = report([
    measured('direct', 0.2, 10_000, null),
    measured('sidecar', 0.5, 3000, { cores: 0.1, rssMb: 50 }),
    { id: 'nginx', unavailable: NGINX_MISSING, failed: false },
  ]);
  assert.deepEqual(
    r.goals.map((g) => g.met),
    [null, null, null, true, true, null, null],
  );
  const text = formatReport(r);
  assert.match(text, /nginx pair: nginx not installed: apt-get install nginx-light/);
  assert.match(text, /p50 at fixed rate \(ms\)\s+0\.20\d\s+0\.50\d\s+n\/a/);
  assert.match(text, /– sidecar pair's added p50 ≤ nginx pair's\s+not measured \(nginx pair not measured: nginx not installed/);
});

test("the mTLS pair is judged against the plaintext pair: CPU per 1000 rps and added p99 each within 1.2 ×, and the handshake time is reported", () => {
  const r = buildReport({
    at: new Date(0),
    durationS: 60,
    machine,
    settings,
    rounds: [],
    outcomes: [measured('direct', 0.2, 10_000, null), measured('sidecar', 0.5, 3000, { cores: 0.1, rssMb: 50 }), measured('mtls', 0.55, 2800, { cores: 0.13, rssMb: 55 })],
    handshake: { count: 200, p50Ms: 2.5, p99Ms: 6, resumedP50Ms: 1.1 },
  });
  const goals = Object.fromEntries(r.goals.map((g) => [g.goal, g.met]));
  // 0.13 > 1.2 × 0.1 ✗; added p99 0.35 ≤ 1.2 × 0.3 = 0.36 ✓
  assert.equal(goals['mTLS: CPU per 1000 rps ≤ 1.2 × plaintext pair'], false);
  assert.equal(goals["mTLS: added p99 ≤ 1.2 × plaintext pair's"], true);
  const text = formatReport(r);
  assert.match(text, /sidecar pair, mTLS/);
  assert.match(text, /mTLS vs plaintext \(mTLS pair − sidecar pair\): p50 \+0\.05\d ms/);
  assert.match(text, /mutual TLS handshake with a sidecar .*full p50 2\.500 ms, p99 6\.000 ms; resumed p50 1\.100 ms/);
});

test("when nginx's added latency is lost in the noise, the goals relative to it are not judged", () => {
  const r = report([
    measured('direct', 0.3, 10_000, null),
    measured('sidecar', 0.5, 3000, { cores: 0.1, rssMb: 50 }),
    measured('nginx', 0.29, 8000, { cores: 0.05, rssMb: 20 }),
  ]);
  assert.deepEqual(
    r.goals.slice(0, 2).map((g) => g.met),
    [null, null],
  );
  assert.ok(Number.isNaN(r.ratios.addedP50Ms));
  assert.match(formatReport(r), /– sidecar pair's added p50 ≤ nginx pair's\s+not judged: 0\.2\d\d vs -0\.0\d\d ms; nginx pair's added p50 came out ≤ 0/);
});

test('nginx config: one worker, keep-alive to the upstream, no access log, loopback only', () => {
  const conf = nginxConf({ dir: '/tmp/x', listenPort: 1234, upstreamPort: 5678, configureArgs: '--without-http_uwsgi_module' });
  assert.match(conf, /worker_processes 1;/);
  assert.match(conf, /access_log off;/);
  assert.match(conf, /listen 127\.0\.0\.1:1234;/);
  assert.match(conf, /server 127\.0\.0\.1:5678;\s+keepalive 64;/);
  assert.match(conf, /proxy_http_version 1\.1;/);
  assert.match(conf, /proxy_set_header Connection "";/);
  assert.doesNotMatch(conf, /uwsgi_temp_path/);
  assert.match(conf, /fastcgi_temp_path \/tmp\/x\/fastcgi_temp;/);
});

test('CPU accounting from /proc agrees with the CPU time a busy process measures for itself', { skip: process.platform !== 'linux' }, async () => {
  // The child idles until told to go, burns 400ms of its own CPU time (as it measures it), reports,
  // and idles again: the two snapshots bracket exactly that work, however busy the machine is.
  const script = `
    process.stdin.once('data', () => {
      const from = process.cpuUsage();
      const used = () => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e6; };
      while (used() < 0.4) {}
      process.stdout.write('done ' + used() + '\\n');
    });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    let out = '';
    const line = (re: RegExp) => new Promise<RegExpMatchArray>((resolve) => {
      const check = () => { const m = out.match(re); if (m) { child.stdout!.off('data', onData); resolve(m); } };
      const onData = (c: Buffer) => { out += c; check(); };
      child.stdout!.on('data', onData);
      check();
    });
    await line(/ready\n/);
    const before = cpuSnapshot([child.pid!]);
    child.stdin!.write('go\n');
    const [, selfSeconds] = await line(/done ([0-9.]+)\n/);
    const { cpuSeconds } = coresUsed(before, cpuSnapshot([child.pid!]));
    // /proc counts in clock ticks (10ms); the idle child adds next to nothing on either side.
    assert.ok(Math.abs(cpuSeconds - Number(selfSeconds)) <= 0.05, `/proc saw ${cpuSeconds}s of CPU, the process measured ${selfSeconds}s`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a process an earlier bench left behind is reaped; an unrelated pid is not', { skip: process.platform !== 'linux' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reap-'));
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 50));
    const children = new BenchChildren(dir);
    children.add(child, 'sleeper');
    assert.equal(readdirSync(dir).length, 1);
    // This very process stands in for a bench that is gone: the record is reaped only when its bench is not alive.
    assert.deepEqual(reapBenchOrphans(dir).length, 1);
    await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    assert.equal(child.signalCode, 'SIGKILL');
    assert.equal(readdirSync(dir).length, 0);
    // A recorded pid that now belongs to another process (its start time differs) is left alone.
    writeFileSync(
      join(dir, 'stale.json'),
      JSON.stringify({ benchPid: 2 ** 22 + 1, benchStartTime: 1, processes: [{ pid: process.pid, startTime: readStat(process.pid)!.startTime + 1, label: 'recycled' }] }),
    );
    assert.deepEqual(reapBenchOrphans(dir), []);
    assert.equal(readdirSync(dir).length, 0, 'the stale record is removed');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStat } from './proc-stats.ts';

/**
Every process the bench starts, so that each one is gone when the bench ends: normally, on an
error, on Ctrl-C, and (through a record on disk that the next bench run reaps) after a kill -9 of
the bench itself. nginx cannot notice that its parent died, so the record is what guarantees it.

A process is identified by its pid and its start time from /proc, so a recycled pid of an
unrelated process is never killed.
*/
export function benchStateDir(): string {
  return process.env.MESHPROOF_BENCH_STATE_DIR ?? join(tmpdir(), 'meshproof', 'bench-runs');
}

interface Tracked {
  pid: number;
  startTime: number | null;
  label: string;
  child: ChildProcess | null;
}

export class BenchChildren {
  private readonly tracked = new Map<number, Tracked>();
  private readonly file: string;
  private readonly dir: string;
  private stopping: Promise<void> | null = null;
  private readonly tempDirs = new Set<string>();

  constructor(dir = benchStateDir()) {
    this.dir = dir;
    this.file = join(dir, `${process.pid}-${Date.now()}.json`);
  }

  /** Tracks a child we spawned; it is forgotten when it exits. */
  add(child: ChildProcess, label: string): void {
    const pid = child.pid;
    if (pid === undefined) return;
    this.tracked.set(pid, { pid, startTime: readStat(pid)?.startTime ?? null, label, child });
    child.once('exit', () => this.forget(pid));
    this.write();
  }

  /** Tracks a process we did not spawn directly (an nginx worker). */
  addPid(pid: number, label: string): void {
    if (this.tracked.has(pid)) return;
    this.tracked.set(pid, { pid, startTime: readStat(pid)?.startTime ?? null, label, child: null });
    this.write();
  }

  /** A temp directory to remove at the end (nginx's prefix), or by the next bench's reaper after a crash. */
  addTempDir(dir: string): void {
    this.tempDirs.add(dir);
    this.write();
  }

  /** Removes the temp directories; call once their processes are gone. */
  removeTempDirs(): void {
    for (const d of this.tempDirs) rmSync(d, { recursive: true, force: true });
    this.tempDirs.clear();
    this.write();
  }

  forget(pid: number): void {
    if (this.tracked.delete(pid)) this.write();
  }

  /** Pids of every tracked process still running. */
  pids(): number[] {
    return [...this.tracked.values()].filter(isRunning).map((t) => t.pid);
  }

  get size(): number {
    return this.tracked.size;
  }

  /**
  SIGTERM to everything still running, then SIGKILL to whatever has not exited after `graceMs`.
  Resolves once every tracked process is gone. Safe to call more than once.
  */
  stopAll(graceMs = 2000): Promise<void> {
    this.stopping ??= this.stopNow(graceMs).finally(() => (this.stopping = null));
    return this.stopping;
  }

  private async stopNow(graceMs: number): Promise<void> {
    const all = [...this.tracked.values()];
    for (const t of all) signal(t, 'SIGCONT');
    // Only the processes we spawned: an nginx master stops its own workers, and a worker killed
    // under a master that is not yet shutting down would be respawned.
    for (const t of all) if (t.child) signal(t, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && all.some(isRunning)) await new Promise((r) => setTimeout(r, 25));
    for (const t of all) if (isRunning(t)) signal(t, 'SIGKILL');
    const killDeadline = Date.now() + 1000;
    while (Date.now() < killDeadline && all.some(isRunning)) await new Promise((r) => setTimeout(r, 10));
    for (const t of all) this.tracked.delete(t.pid);
    this.close();
  }

  /** Last resort from a synchronous 'exit' handler: SIGKILL everything still tracked. */
  killAllNow(): void {
    for (const t of this.tracked.values()) if (isRunning(t)) signal(t, 'SIGKILL');
  }

  /** Nothing left to reap: removes the record. */
  close(): void {
    this.write();
  }

  private write(): void {
    if (this.tracked.size === 0 && this.tempDirs.size === 0) {
      rmSync(this.file, { force: true });
      return;
    }
    mkdirSync(this.dir, { recursive: true });
    const rec = { benchPid: process.pid, benchStartTime: readStat(process.pid)?.startTime ?? null, processes: [...this.tracked.values()].map(({ pid, startTime, label }) => ({ pid, startTime, label })), tempDirs: [...this.tempDirs] };
    writeFileSync(this.file, JSON.stringify(rec));
  }
}

/**
Kills what an earlier bench run left behind when it was killed without a chance to clean up.
Returns the labels of the processes killed.
*/
export function reapBenchOrphans(dir = benchStateDir()): string[] {
  const killed: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return killed;
  }
  for (const f of files) {
    const path = join(dir, f);
    let rec: { benchPid: number; benchStartTime: number | null; processes: { pid: number; startTime: number | null; label: string }[]; tempDirs?: string[] };
    try {
      rec = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    // A bench still running owns its record.
    const bench = readStat(rec.benchPid);
    if (rec.benchPid !== process.pid && bench !== null && bench.startTime === rec.benchStartTime) continue;
    for (const p of rec.processes) {
      const s = readStat(p.pid);
      if (s && s.state !== 'Z' && p.startTime !== null && s.startTime === p.startTime) {
        try {
          process.kill(p.pid, 'SIGKILL');
          killed.push(`${p.label} (pid ${p.pid})`);
        } catch {
          /* already gone */
        }
      }
    }
    for (const d of rec.tempDirs ?? []) rmSync(d, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
  return killed;
}

function isRunning(t: Tracked): boolean {
  if (t.child) return t.child.exitCode === null && t.child.signalCode === null;
  const s = readStat(t.pid);
  // A zombie still has a stat entry; so does a recycled pid, with another start time.
  return s !== null && s.state !== 'Z' && (t.startTime === null || s.startTime === t.startTime);
}

function signal(t: Tracked, sig: NodeJS.Signals): void {
  try {
    if (t.child) t.child.kill(sig);
    else process.kill(t.pid, sig);
  } catch {
    /* already gone */
  }
}

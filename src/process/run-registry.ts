import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './pid-alive.ts';
import { killProcessesOfRun } from './run-processes.ts';

/**
A record on disk of every process a run started, so that a run whose harness crashed (kill -9, OOM,
power loss of the terminal) is cleaned up by the next start: children also exit on their own when
their parent's IPC channel closes, but a paused (SIGSTOP) child cannot notice that.
*/
export class RunRegistry {
  readonly dir: string;
  private readonly file: string;
  private readonly pids = new Set<number>();
  private closed = false;

  readonly runId: string;

  constructor(runId: string, options: { dir?: string } = {}) {
    this.runId = runId;
    this.dir = options.dir ?? defaultRegistryDir();
    this.file = join(this.dir, `${runId}.json`);
  }

  add(pid: number): void {
    if (this.closed) return;
    this.pids.add(pid);
    this.write();
  }

  remove(pid: number): void {
    // A child's last event may come after the run was closed: the record must not come back.
    if (this.closed) return;
    this.pids.delete(pid);
    this.write();
  }

  /** The run ended cleanly: nothing to reap. */
  close(): void {
    this.closed = true;
    rmSync(this.file, { force: true });
  }

  private write(): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file, JSON.stringify({ runId: this.runId, harnessPid: process.pid, pids: [...this.pids] }));
  }
}

export function defaultRegistryDir(): string {
  return process.env.MESHPROOF_STATE_DIR ?? join(tmpdir(), 'meshproof', 'runs');
}

/**
Kills the processes of runs whose harness is gone. A pid is only killed when its environment still
carries that run's id, so a recycled pid of an unrelated process is never touched.
Returns the number of processes killed.
*/
export function reapOrphans(dir = defaultRegistryDir()): number {
  const killed = new Set<number>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return 0;
  }
  for (const f of files) {
    const path = join(dir, f);
    let rec: { runId: string; harnessPid: number; pids: number[] };
    try {
      rec = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (pidAlive(rec.harnessPid) && carriesRun(rec.harnessPid, null)) continue;
    for (const pid of rec.pids) {
      if (pidAlive(pid) && carriesRun(pid, rec.runId)) {
        try {
          // Every recorded child leads its own process group (they are started detached): the group
          // takes with it what a user's program started.
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* not a group leader, or gone */
        }
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        killed.add(pid);
      }
    }
    // Whatever else carries the run's id: a user program's children that left its group.
    for (const pid of killProcessesOfRun(rec.runId)) killed.add(pid);
    rmSync(path, { force: true });
  }
  return killed.size;
}

/** Whether a pid's environment has MESHPROOF_RUN_ID=runId (runId null: the process is a live harness, assume yes when unreadable). */
function carriesRun(pid: number, runId: string | null): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    if (runId === null) return true;
    return env.split('\0').includes(`MESHPROOF_RUN_ID=${runId}`);
  } catch {
    // No /proc (macOS): trust the registry for children, never kill on doubt for harnesses.
    return runId !== null && process.platform !== 'linux';
  }
}

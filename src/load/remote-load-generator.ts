import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MeshproofError } from '../errors.ts';
import type { SparseSeries } from '../observe/timeline.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import { compileCacheDir } from '../runtime/local/child-process.ts';
import type { LoadSummary } from './load-generator.ts';
import type { LoadCommand, LoadMessage } from './load-process.ts';

const LOAD_PROCESS = fileURLToPath(new URL('./load-process.ts', import.meta.url));

export interface RemoteLoadOptions {
  url: string;
  host: string;
  path: string;
  phases: LoadPhasePlan[];
  connections: number;
  /** Epoch ms of second 0, shared with the sidecars. */
  t0: number;
  /** Called once per second with the client's buckets of the second that just ended. */
  onTick?: (second: number, series: SparseSeries) => void;
  /** Pids of started processes are reported here, so the run registry can reap them after a crash. */
  onSpawn?: (pid: number) => void;
  /** Extra environment of the load process. */
  env?: Record<string, string>;
}

/** Runs the load generator in its own process (see load-process.ts) and resolves with what it measured. */
export class RemoteLoadGenerator {
  private readonly options: RemoteLoadOptions;
  private child: ReturnType<typeof spawn> | null = null;

  constructor(options: RemoteLoadOptions) {
    this.options = options;
  }

  run(): Promise<{ summary: LoadSummary; series: SparseSeries }> {
    const o = this.options;
    const child = spawn(process.execPath, [LOAD_PROCESS], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { NODE_COMPILE_CACHE: compileCacheDir(), ...process.env, ...o.env },
    });
    this.child = child;
    if (child.pid) o.onSpawn?.(child.pid);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    return new Promise((resolve, reject) => {
      let done: { summary: LoadSummary; series: SparseSeries } | null = null;
      let started = false;
      child.on('message', (m: LoadMessage) => {
        if (m.type === 'tick' && m.second < 0 && !started) {
          started = true;
          const cmd: LoadCommand = { type: 'start', url: o.url, host: o.host, path: o.path, phases: o.phases, connections: o.connections, t0: o.t0 };
          child.send(cmd);
        } else if (m.type === 'tick') o.onTick?.(m.second, m.series);
        else if (m.type === 'done') done = { summary: m.summary, series: m.series };
      });
      child.on('exit', (code, signal) => {
        this.child = null;
        if (done) resolve(done);
        else reject(new MeshproofError('MESHPROOF_LOAD_FAILED', `the load generator exited (code ${code}, signal ${signal}) before reporting${stderr ? `:\n${stderr.trim()}` : ''}`));
      });
      child.on('error', (err) => reject(new MeshproofError('MESHPROOF_LOAD_FAILED', `could not start the load generator: ${err.message}`)));
    });
  }

  /** Stops the load now; run() then resolves with what was measured so far. */
  stop(): void {
    if (this.child?.connected) this.child.send({ type: 'stop' } satisfies LoadCommand);
  }
}

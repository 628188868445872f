import { spawn } from 'node:child_process';
import { MeshproofError } from '../errors.ts';
import type { SparseSeries } from '../contract/series.ts';
import type { LoadPlan } from '../plan/plan-scenario.ts';
import { compileCacheDir } from '../process/child-process.ts';
import { codeLayout } from '../util/code-layout.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import type { LoadSummary } from './load-summary.ts';
import type { LoadCommand, LoadMessage, LoadSecond } from './load-process.ts';

const LOAD_PROCESS = codeLayout.file('load/load-process.ts');

/**
A young generation of 16 MB from the start: every request leaves a few KB of garbage (undici's
request and response objects, the handler), and each scavenge stops the thread that sends. Measured
at 2000/s for 5 s: about 20 scavenges with V8's default (a semi-space that starts small and grows),
6 with this; at 2000/s the process peaks at ~140 MB instead of ~125 MB. `--expose-gc`: the process
collects once between warm-up and load (LOAD_DEFAULTS.warmupGapMs).
*/
export const LOAD_NODE_OPTIONS = ['--min-semi-space-size=16', '--max-semi-space-size=16', '--expose-gc'];

export interface RemoteLoadOptions {
  /**
  Base URL of the ingress sidecar's outbound listener; or given to `run()`, when it is known only
  after `prepare()` (the harness starts this process while the topology comes up).
  */
  url?: string;
  plan: LoadPlan;
  /** Called once per second with the client's buckets of the second that just ended, and the load's own figures for it. */
  onTick?: (second: number, series: SparseSeries, load: LoadSecond) => void;
  /** Pids of started processes are reported here, so the run registry can reap them after a crash. */
  onSpawn?: (pid: number) => void;
  /** Extra environment of the load process. */
  env?: Record<string, string>;
  /** Keep every request's times in the summary (`trace`, LoadTrace): for the smoothness test and the bench. @default false */
  trace?: boolean;
  /** How an open loop sends (LoadGeneratorOptions.via). @default LOAD_DEFAULTS.openLoopVia */
  via?: 'socket' | 'undici';
  /** Ask real-time priority for the socket sender's thread (as MESHPROOF_LOAD_REALTIME=1 does). @default from the environment */
  realtime?: boolean;
}

/**
Runs the load generator in its own process (see load-process.ts): `prepare()` starts the process,
`run()` sends it the load and resolves with what it measured.
*/
export class RemoteLoadGenerator implements Disposable {
  private readonly options: RemoteLoadOptions;
  private child: ReturnType<typeof spawn> | null = null;
  private exited: Promise<{ code: number | null; signal: string | null }> | null = null;
  private done: { summary: LoadSummary; series: SparseSeries } | null = null;
  private stderr = '';

  constructor(options: RemoteLoadOptions) {
    this.options = options;
  }

  /** Starts the load process and resolves once it is ready to send (so its start-up is not part of the load). */
  prepare(timeoutMs = 15_000): Promise<void> {
    const o = this.options;
    const child = spawn(process.execPath, [...LOAD_NODE_OPTIONS, LOAD_PROCESS, o.via ?? LOAD_DEFAULTS.openLoopVia], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { NODE_COMPILE_CACHE: compileCacheDir(), ...process.env, ...o.env, ...(o.realtime === undefined ? {} : { MESHPROOF_LOAD_REALTIME: o.realtime ? '1' : '0' }) },
    });
    this.child = child;
    if (child.pid) o.onSpawn?.(child.pid);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4096)));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.on('message', (m: LoadMessage) => {
      if (m.type === 'tick') o.onTick?.(m.second, m.series, m.load);
      else if (m.type === 'done') this.done = { summary: m.summary, series: m.series };
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs}ms`), timeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new MeshproofError('MESHPROOF_LOAD_FAILED', `could not start the load generator: ${why}${this.stderr ? `\n${this.stderr.trim()}` : ''}`));
      };
      child.once('error', (err) => fail(err.message));
      this.exited!.then(({ code, signal }) => fail(`it exited (code ${code}, signal ${signal})`));
      child.on('message', (m: LoadMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** Sends the load (measured from `t0`, warming up before it) and resolves with what was measured. */
  async run(t0: number, options: { warmup?: boolean; url?: string } = {}): Promise<{ summary: LoadSummary; series: SparseSeries }> {
    const o = this.options;
    const url = options.url ?? o.url;
    if (url === undefined) throw new MeshproofError('MESHPROOF_LOAD_FAILED', 'the load has no target: give its url to the RemoteLoadGenerator or to run()');
    if (!this.child) await this.prepare();
    const cmd: LoadCommand = { type: 'start', url, plan: o.plan, t0, warmup: options.warmup ?? true, trace: o.trace };
    this.child!.send(cmd);
    const { code, signal } = await this.exited!;
    this.child = null;
    if (this.done) return this.done;
    throw new MeshproofError('MESHPROOF_LOAD_FAILED', `the load generator exited (code ${code}, signal ${signal}) before reporting${this.stderr ? `:\n${this.stderr.trim()}` : ''}`);
  }

  /** Stops the load now; run() then resolves with what was measured so far. */
  stop(): void {
    if (this.child?.connected) this.child.send({ type: 'stop' } satisfies LoadCommand, () => {}); // gone already: nothing to stop
  }

  /** Kills the load process if it is still there (after a failure). */
  dispose(): void {
    this.child?.kill('SIGKILL');
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

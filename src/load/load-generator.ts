import type { Recorder } from '../contract/series.ts';
import type { LoadPlan } from '../plan/plan-scenario.ts';
import type { ClosedLoopLoad } from './closed-loop-load.ts';
import { DiscardingRecorder } from './discarding-recorder.ts';
import { HttpTarget } from './http-target.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import type { LoadSummary } from './load-summary.ts';
import { OpenLoopLoad } from './open-loop-load.ts';
import { monotonicMs, WorkerPacer, type Pacer } from './pacer.ts';
import { SocketSender, type SocketTarget } from './socket-sender.ts';

export interface LoadGeneratorOptions {
  /** Base URL of the ingress sidecar's outbound listener, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The load to send: target (sent as the Host header), path, model, phases, arrivals, cap. */
  plan: LoadPlan;
  /** Where each response is recorded, per second on the run's clock: `client` and `client:sent`. */
  recorder: Recorder;
  /** A request with no response after this long counts as an error, ms. @default LOAD_DEFAULTS.timeoutMs */
  timeoutMs?: number;
  /** What wakes an open-loop load at each intended send time, for the warm-up and the load; give one that is `ready()`. @default a WorkerPacer of its own */
  pacer?: Pacer;
  /** Keep every request's times in the measured load's summary (`trace`). @default false */
  trace?: boolean;
  /** How the open loop sends (plaintext targets; https always goes through undici). @default LOAD_DEFAULTS.openLoopVia */
  via?: 'socket' | 'undici';
  /** The thread that paces and writes the open loop's requests when it sends `via: 'socket'`; give one that is `ready()`. @default a SocketSender of its own */
  sender?: SocketSender;
}

/**
Drives a scenario's load: open loop (`OpenLoopLoad`, undici, on an absolute schedule) when it has a
rate, closed loop (`ClosedLoopLoad`, autocannon) when it has only connections. Before second 0 it
can warm up at a low rate, on the same connections, so the first measured second is not a cold start.
*/
export class LoadGenerator {
  private readonly o: LoadGeneratorOptions;
  private readonly target: HttpTarget | SocketTarget;
  private readonly pacer: Pacer | null;
  private readonly ownPacer: WorkerPacer | null;
  private readonly ownSender: SocketSender | null;
  private current: OpenLoopLoad | ClosedLoopLoad | null = null;
  /** The measured load (not the warm-up), kept after it ends for its per-second figures. */
  private measured: OpenLoopLoad | ClosedLoopLoad | null = null;
  private stopped = false;
  /** A closed loop's module, loading from the start (alongside the warm-up), so its load time is not part of the load. */
  private readonly closedLoop: Promise<typeof import('./closed-loop-load.ts')> | null;

  constructor(options: LoadGeneratorOptions) {
    this.o = options;
    const { plan } = options;
    this.closedLoop = plan.model === 'closed' ? import('./closed-loop-load.ts') : null;
    const url = new URL(options.url);
    const socket = plan.model !== 'closed' && url.protocol === 'http:' && (options.via ?? LOAD_DEFAULTS.openLoopVia) === 'socket';
    this.ownSender = socket && !options.sender ? new SocketSender() : null;
    this.ownPacer = socket || options.pacer ? null : new WorkerPacer();
    this.pacer = options.pacer ?? this.ownPacer;
    this.target = socket
      ? { sender: options.sender ?? this.ownSender!, target: { host: url.hostname, port: Number(url.port || 80), hostHeader: plan.host, path: plan.path, timeoutMs: this.timeoutMs } }
      : new HttpTarget({ url: options.url, host: plan.host, path: plan.path, connections: plan.connections, timeoutMs: this.timeoutMs });
  }

  /** Resolves once the pacer can keep time (its thread has booted): await it before the warm-up or the load is due. */
  async ready(): Promise<void> {
    await this.ownPacer?.ready();
    await this.ownSender?.ready();
  }

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? LOAD_DEFAULTS.timeoutMs;
  }

  /**
  Sends warm-up traffic until `untilEpochMs` (evenly, at half the load's first rate, at most
  LOAD_DEFAULTS.warmupRate), recorded nowhere: it opens keep-alive connections and warms every
  process's JIT.
  */
  async warmUp(untilEpochMs: number): Promise<void> {
    const ms = untilEpochMs - Date.now();
    if (ms <= 0 || this.stopped) return;
    const first = this.o.plan.phases.find((p) => p.rate > 0)?.rate ?? LOAD_DEFAULTS.warmupRate;
    const rate = Math.max(1, Math.min(LOAD_DEFAULTS.warmupRate, first * LOAD_DEFAULTS.warmupShareOfRate));
    const load = new OpenLoopLoad({
      target: this.target,
      phases: [{ startMs: 0, durationMs: ms, rate }],
      cap: this.o.plan.connections,
      recorder: new DiscardingRecorder(),
      pacer: this.pacer ?? undefined,
      drainMs: 0,
    });
    this.current = load;
    await load.run();
    this.current = null;
  }

  /** Sends the load from `t0` (epoch ms; second 0 of the recorder) and resolves with what it measured. */
  async run(t0: number): Promise<LoadSummary> {
    const { plan, recorder } = this.o;
    if (plan.model === 'closed') {
      const { ClosedLoopLoad } = await this.closedLoop!;
      await new Promise((r) => setTimeout(r, Math.max(0, t0 - Date.now())));
      const load = new ClosedLoopLoad({ url: this.o.url, host: plan.host, path: plan.path, connections: plan.connections, durationMs: plan.durationMs, recorder, timeoutMs: this.timeoutMs, t0 });
      return this.play(load, () => load.run());
    }
    const load = new OpenLoopLoad({
      target: this.target,
      phases: plan.phases,
      arrivals: plan.arrivals,
      seed: plan.seed,
      cap: plan.connections,
      recorder,
      pacer: this.pacer ?? undefined,
      trace: this.o.trace,
    });
    // The schedule is absolute on the monotonic clock; t0 is wall time, so convert once.
    const startAt = monotonicMs() + (t0 - Date.now());
    return this.play(load, () => load.run(startAt));
  }

  /** Sent, dropped and worst lateness in second `sec` of the measured load so far. */
  second(sec: number): { sent: number; dropped: number; latenessMaxMs: number } | null {
    return this.measured?.second(sec) ?? null;
  }

  /** Stops the load now; `run()` then resolves with what was sent so far. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  /** Closes the connections (and the pacer's thread, when it is its own). */
  async close(): Promise<void> {
    if ('destroy' in this.target) await this.target.destroy();
    await this.ownPacer?.close();
    await this.ownSender?.close();
  }

  private async play(load: OpenLoopLoad | ClosedLoopLoad, run: () => Promise<LoadSummary>): Promise<LoadSummary> {
    this.current = load;
    this.measured = load;
    if (this.stopped) load.stop();
    try {
      return await run();
    } finally {
      this.current = null;
    }
  }
}

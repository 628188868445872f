import type { ProbeFailure } from '../../contract/mesh-event.ts';
import type { HealthCheck } from '../../contract/mesh-policy.ts';
import type { Clock, TimerHandle } from '../../util/clock.ts';
import { unrefTimer } from './unref-timer.ts';

/**
How one probe ended. Network failures (connect failure, reset, timeout) count toward
unhealthyThreshold; a response with another status than 200 fails the host at once, as in Envoy's
HTTP health checker (`setUnhealthy`: a non-network, non-retriable failure ignores the threshold).
*/
export type ProbeResult = { ok: true } | { ok: false; failure: ProbeFailure };

/**
Sends one probe and calls `done` once with its result (it may never call it if aborted). Returns
a function that aborts the probe (used on timeout and on stop).
*/
export type Probe = (done: (r: ProbeResult) => void) => () => void;

/**
The pass/fail state machine of one Envoy active health check session
(source/common/upstream/health_checker_impl.cc, `handleSuccess` / `setUnhealthy`):
- a success resets the failure count; a host failed by health checking comes back after
  `healthyThreshold` successes in a row;
- a network failure (timeout, connect failure, reset) counts; `unhealthyThreshold` in a row fail
  the host; a wrong status fails it at once.
Hosts start healthy here (Envoy marks hosts added later as failed until their first check; a
simulator that starts every endpoint at once would begin by refusing all traffic).
*/
export class HealthCheckState {
  /** Envoy's FAILED_ACTIVE_HC. */
  failed = false;
  numHealthy = 0;
  numUnhealthy = 0;
  /** Why the last check failed (null after a success). */
  failure: ProbeFailure | null = null;

  /** Returns true when the host changed state. */
  onResult(r: ProbeResult, hc: Pick<HealthCheck, 'healthyThreshold' | 'unhealthyThreshold'>): boolean {
    if (r.ok) {
      this.numUnhealthy = 0;
      this.failure = null;
      if (this.failed && ++this.numHealthy >= hc.healthyThreshold) {
        this.failed = false;
        this.numHealthy = 0;
        return true;
      }
      return false;
    }
    this.numHealthy = 0;
    this.failure = r.failure;
    if (!this.failed && (r.failure.kind === 'status' || ++this.numUnhealthy >= hc.unhealthyThreshold)) {
      this.failed = true;
      this.numUnhealthy = 0;
      return true;
    }
    return false;
  }
}

export interface HealthCheckCounters {
  hc_attempt: number;
  hc_success: number;
  hc_failure: number;
  hc_network_failure: number;
}

/**
Drives one host's checks with an injected clock: the first probe at once, then `intervalMs` after
each result (Envoy re-arms its interval timer when a check completes); a probe without an answer
within `timeoutMs` is aborted and counts as a network failure.
*/
export class ActiveHealthCheck {
  readonly state = new HealthCheckState();
  private config: HealthCheck;
  private readonly clock: Clock;
  private readonly probe: Probe;
  private readonly counters: HealthCheckCounters;
  private readonly onCheck: (r: ProbeResult, changed: boolean) => void;
  private timer: TimerHandle | null = null;
  private timeoutTimer: TimerHandle | null = null;
  private abort: (() => void) | null = null;
  /** Identifies the probe in flight, so a late answer to an aborted one is ignored. */
  private generation = 0;
  private stopped = false;

  constructor(options: { config: HealthCheck; clock: Clock; probe: Probe; counters: HealthCheckCounters; onCheck: (r: ProbeResult, changed: boolean) => void }) {
    this.config = options.config;
    this.clock = options.clock;
    this.probe = options.probe;
    this.counters = options.counters;
    this.onCheck = options.onCheck;
  }

  start(): void {
    this.schedule(0);
  }

  /** New settings from a config push: they apply from the next probe; the state stays. */
  configure(config: HealthCheck): void {
    this.config = config;
  }

  get settings(): HealthCheck {
    return this.config;
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.timeoutTimer !== null) this.clock.clearTimeout(this.timeoutTimer);
    this.timer = this.timeoutTimer = null;
    const a = this.abort;
    this.abort = null;
    a?.();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
    unrefTimer(this.timer);
  }

  private run(): void {
    if (this.stopped) return;
    const g = ++this.generation;
    this.counters.hc_attempt++;
    const timeoutMs = this.config.timeoutMs;
    this.timeoutTimer = this.clock.setTimeout(() => {
      this.timeoutTimer = null;
      if (g !== this.generation) return;
      const a = this.abort;
      this.abort = null;
      a?.();
      this.finish(g, { ok: false, failure: { kind: 'timeout', timeoutMs } });
    }, timeoutMs);
    unrefTimer(this.timeoutTimer);
    const abort = this.probe((r) => this.finish(g, r));
    if (g === this.generation) this.abort = abort;
  }

  private finish(g: number, r: ProbeResult): void {
    if (this.stopped || g !== this.generation) return;
    this.generation++;
    if (this.timeoutTimer !== null) this.clock.clearTimeout(this.timeoutTimer);
    this.timeoutTimer = null;
    this.abort = null;
    const k = this.counters;
    if (r.ok) k.hc_success++;
    else {
      k.hc_failure++;
      if (r.failure.kind !== 'status') k.hc_network_failure++;
    }
    const changed = this.state.onResult(r, this.config);
    this.onCheck(r, changed);
    this.schedule(this.config.intervalMs);
  }
}

import type { Ejection, EjectionReason, UnejectReason } from '../../contract/mesh-event.ts';
import type { OutlierDetection } from '../../contract/mesh-policy.ts';
import type { Clock, TimerHandle } from '../../util/clock.ts';
import { unrefTimer } from './unref-timer.ts';


/** One host's passive-health state (Envoy's DetectorHostMonitorImpl). Lives on the host object, so a config push that keeps the host keeps it. */
export class OutlierHostState {
  consecutive5xx = 0;
  consecutiveGateway = 0;
  /** Last status charged (local failures as Envoy charges them: 503, timeouts 504). */
  lastStatus = 0;
  ejected = false;
  /** clock.now() of the last ejection. */
  ejectedAt = 0;
  /** Envoy's ejectTimeBackoff: the multiplier of the base ejection time, +1 per ejection, −1 per healthy interval. */
  multiplier = 0;
  /** Envoy's num_ejections: every ejection so far. */
  timesEjected = 0;
  /** clock.now() of the last return to service, null if never ejected. */
  lastUnejectedAt: number | null = null;
}

export interface OutlierHost {
  readonly instance: string;
  readonly outlier: OutlierHostState;
}

/** Counters with Envoy's names (`cluster.<name>.outlier_detection.*`), kept by the caller across config pushes. */
export interface OutlierCounters {
  od_ejections_enforced_total: number;
  od_ejections_enforced_consecutive_5xx: number;
  od_ejections_enforced_consecutive_gateway_failure: number;
  od_ejections_detected_consecutive_5xx: number;
  od_ejections_detected_consecutive_gateway_failure: number;
  od_ejections_overflow: number;
}

export interface OutlierDetectorOptions<H extends OutlierHost> {
  clock: Clock;
  /** Every host of the cluster (ejected or not): the base of max_ejection_percent. */
  hosts: () => readonly H[];
  counters: OutlierCounters;
  onEject(host: H, e: Ejection): void;
  onUneject(host: H, reason: UnejectReason, ejectedForMs: number): void;
  /** Detected, but not ejected: max_ejection_percent would be exceeded. */
  onOverflow(host: H, reason: EjectionReason, consecutive: number, ejected: number, total: number): void;
}

const GATEWAY = (s: number) => s === 502 || s === 503 || s === 504;

/**
Envoy's outlier detector for consecutive errors (source/common/upstream/outlier_detection_impl.cc),
for one caller's view of one cluster:

- Every try's result is charged to its host (`report`): a 5xx response, or a locally originated
  failure as Envoy maps it without split_external_local_origin_errors (connect failure and reset as
  503, timeout as 504). Any other status resets both counts; a 5xx that is not 502/503/504 resets
  the gateway count. Requests refused by a circuit breaker never reach a host and are not charged.
- When a count reaches its threshold the host is ejected at once (detection is inline), unless
  that would put more than max_ejection_percent of the cluster's hosts out: Envoy ejects only when
  100 × (ejected + 1) / hosts ≤ max_ejection_percent, so with 3 hosts and 50% one host at most
  (33% ≤ 50%, 67% > 50%), with 1 host and any percent below 100% none, and with 10 hosts at 10% one
  (modern Envoy; `always_eject_one_host` is not modelled). The count that fired resets either way.
- The ejection multiplier goes up by one per ejection (while base × multiplier < max + base) and
  down by one at each sweep that finds the host healthy for a whole interval since its return.
  The ejection lasts min(base × multiplier, max) and ends at the first sweep (every interval)
  after that, so a host is out for between that time and that time plus one interval.
- A return to service resets the consecutive counts.
*/
export class OutlierDetector<H extends OutlierHost> {
  private config: OutlierDetection | null = null;
  private readonly clock: Clock;
  private readonly hosts: () => readonly H[];
  private readonly counters: OutlierCounters;
  private readonly options: OutlierDetectorOptions<H>;
  private timer: TimerHandle | null = null;
  private timerInterval = 0;
  /** Hosts ejected now (Envoy's ejections_active gauge). */
  active = 0;

  constructor(options: OutlierDetectorOptions<H>) {
    this.options = options;
    this.clock = options.clock;
    this.hosts = options.hosts;
    this.counters = options.counters;
  }

  get enabled(): boolean {
    return this.config !== null;
  }

  get settings(): OutlierDetection | null {
    return this.config;
  }

  /** New settings from a config push; hosts keep their state. null turns detection off and returns every ejected host. */
  configure(config: OutlierDetection | null): void {
    this.config = config;
    if (config === null) {
      this.stopTimer();
      for (const h of this.hosts()) if (h.outlier.ejected) this.uneject(h, 'outlier-detection-disabled');
      return;
    }
    if (this.timer === null || this.timerInterval !== config.intervalMs) {
      this.stopTimer();
      this.arm();
    }
  }

  /** Charges one try's result to its host. */
  report(h: H, status: number): void {
    const c = this.config;
    if (c === null) return;
    const s = h.outlier;
    s.lastStatus = status;
    if (status >= 500 && status <= 599) {
      if (GATEWAY(status)) {
        s.consecutiveGateway++;
        if (c.consecutiveGatewayErrors !== null && s.consecutiveGateway >= c.consecutiveGatewayErrors) this.consecutiveError(h, 'consecutive_gateway_failure', s.consecutiveGateway, c.consecutiveGatewayErrors);
      } else {
        s.consecutiveGateway = 0;
      }
      s.consecutive5xx++;
      if (c.consecutive5xx !== null && s.consecutive5xx >= c.consecutive5xx) this.consecutiveError(h, 'consecutive_5xx', s.consecutive5xx, c.consecutive5xx);
    } else {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
    }
  }

  /** Returns a host to service now (an active health check passed, or the host left the cluster). */
  uneject(h: H, reason: UnejectReason): void {
    const s = h.outlier;
    if (!s.ejected) return;
    const now = this.clock.now();
    s.ejected = false;
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    s.lastUnejectedAt = now;
    this.active--;
    this.options.onUneject(h, reason, now - s.ejectedAt);
  }

  /** The host left the cluster: if it was ejected, that ejection ends (Envoy drops its monitor). */
  forget(h: H, reason: 'endpoint-removed' | 'endpoint-replaced'): void {
    this.uneject(h, reason);
  }

  /** min(base × multiplier, max) for the current settings. */
  ejectionMs(s: OutlierHostState): number {
    const c = this.config;
    if (c === null) return 0;
    return Math.min(c.baseEjectionTimeMs * s.multiplier, c.maxEjectionTimeMs);
  }

  /** The interval sweep: ends ejections whose time is up, and decays the multiplier of hosts healthy for an interval. */
  sweep(): void {
    const c = this.config;
    if (c === null) return;
    const now = this.clock.now();
    const hosts = this.hosts();
    for (const h of hosts) {
      const s = h.outlier;
      if (s.ejected && this.ejectionMs(s) <= now - s.ejectedAt) this.uneject(h, 'ejection-time-elapsed');
    }
    for (const h of hosts) {
      const s = h.outlier;
      if (!s.ejected && s.lastUnejectedAt !== null && now - s.lastUnejectedAt >= c.intervalMs && s.multiplier > 0) s.multiplier--;
    }
  }

  dispose(): void {
    this.stopTimer();
  }

  private consecutiveError(h: H, reason: EjectionReason, consecutive: number, threshold: number): void {
    const s = h.outlier;
    // Envoy ignores a detection on a host already ejected (it may still get traffic in panic mode).
    if (s.ejected) return;
    const k = this.counters;
    if (reason === 'consecutive_5xx') k.od_ejections_detected_consecutive_5xx++;
    else k.od_ejections_detected_consecutive_gateway_failure++;
    this.tryEject(h, reason, consecutive, threshold);
    if (reason === 'consecutive_5xx') s.consecutive5xx = 0;
    else s.consecutiveGateway = 0;
  }

  private tryEject(h: H, reason: EjectionReason, consecutive: number, threshold: number): void {
    const c = this.config!;
    const total = this.hosts().length;
    // Envoy: ejected_percent = 100 × (active + 1) / hosts; eject only if ≤ max_ejection_percent.
    // Fractions here, with a little slack so 0.1 × 10 hosts still allows one.
    if (total === 0 || (this.active + 1) / total > c.maxEjectionPercent + 1e-9) {
      this.counters.od_ejections_overflow++;
      this.options.onOverflow(h, reason, consecutive, this.active, total);
      return;
    }
    const s = h.outlier;
    const k = this.counters;
    k.od_ejections_enforced_total++;
    if (reason === 'consecutive_5xx') k.od_ejections_enforced_consecutive_5xx++;
    else k.od_ejections_enforced_consecutive_gateway_failure++;
    this.active++;
    s.ejected = true;
    s.ejectedAt = this.clock.now();
    s.timesEjected++;
    if (s.multiplier * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) s.multiplier++;
    this.options.onEject(h, {
      reason,
      consecutive,
      threshold,
      lastStatus: s.lastStatus,
      ejectionMs: this.ejectionMs(s),
      timesEjected: s.timesEjected,
      multiplier: s.multiplier,
    });
  }

  private arm(): void {
    const c = this.config;
    if (c === null) return;
    this.timerInterval = c.intervalMs;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.sweep();
      this.arm();
    }, c.intervalMs);
    unrefTimer(this.timer);
  }

  private stopTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

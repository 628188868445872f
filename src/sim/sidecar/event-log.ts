import type { Clock, TimerHandle } from '../../util/clock.ts';
import type { MeshEvent, MeshEventBody } from '../../contract/mesh-event.ts';

/**
A sidecar's events, numbered from 1, served by `GET /events?since=<seq>`. Bounded: the oldest are
dropped past `capacity` (the harness polls every second, far more often than that fills up).
*/
export class EventLog {
  private readonly events: MeshEvent[] = [];
  private seq = 0;
  private readonly instance: string;
  private readonly now: () => number;
  private readonly capacity: number;

  constructor(options: { instance: string; now: () => number; capacity?: number }) {
    this.instance = options.instance;
    this.now = options.now;
    this.capacity = options.capacity ?? 10_000;
  }

  emit(body: MeshEventBody): MeshEvent {
    const e = { seq: ++this.seq, at: this.now(), instance: this.instance, ...body } as MeshEvent;
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    return e;
  }

  /** Events with seq > since, oldest first. */
  since(since = 0): MeshEvent[] {
    // seq is dense, so the position of `since` is known without a search
    const first = this.events.length === 0 ? 0 : this.events[0].seq;
    const start = Math.max(0, since + 1 - first);
    return this.events.slice(start);
  }

  get lastSeq(): number {
    return this.seq;
  }
}

/**
Turns a burst of occurrences into at most one report per `intervalMs`, with the count: the first
occurrence is reported at once, the ones within the following interval are reported together when
it ends. Used for retry-budget overflow, which can happen thousands of times a second.
*/
export class CoalescingReporter {
  private pending = 0;
  private lastReportAt = -Infinity;
  private timer: TimerHandle | null = null;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly report: (count: number, intervalMs: number) => void;

  constructor(options: { clock: Clock; intervalMs?: number; report: (count: number, intervalMs: number) => void }) {
    this.clock = options.clock;
    this.intervalMs = options.intervalMs ?? 1000;
    this.report = options.report;
  }

  hit(): void {
    this.pending++;
    if (this.timer !== null) return;
    const since = this.clock.now() - this.lastReportAt;
    if (since >= this.intervalMs) this.flush();
    else this.timer = this.clock.setTimeout(() => this.flush(), this.intervalMs - since);
  }

  /** Reports what is pending now (also used on close, so nothing counted is lost). */
  flush(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.lastReportAt = this.clock.now();
    this.report(n, this.intervalMs);
  }

  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the loop is sampled, ms: fine enough to see a 20 ms stall, cheap (one timer per process). */
const RESOLUTION_MS = 10;

/**
This process's event-loop delay, from perf_hooks' histogram (a libuv timer every 10 ms; nothing on
any request's path). `reset()` starts a new span (the run's second 0); `read()` gives the span so far.
*/
export class LoopDelayMonitor {
  private readonly h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  start(): this {
    this.h.enable();
    return this;
  }

  stop(): void {
    this.h.disable();
  }

  reset(): void {
    this.h.reset();
  }

  /** Delays beyond the resolution, ms (the histogram records whole intervals): contract/run-health.ts's LoopDelay. */
  read(): { p50Ms: number; p99Ms: number; maxMs: number; samples: number } {
    const samples = this.h.count;
    if (samples === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
    const ms = (ns: number) => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 10) / 10;
    return { p50Ms: ms(this.h.percentile(50)), p99Ms: ms(this.h.percentile(99)), maxMs: ms(this.h.max), samples };
  }
}

import { UNIT_SECONDS, type RateLimitUnit } from '../../contract/rate-limit-service.ts';

/**
envoyproxy/ratelimit's counters, kept in the process instead of Redis: one per cache key and window,
the window starting at (now / unit) × unit on the epoch clock, so every counter of a unit turns over
at the same instant. A hit always increments (the service's default), even past the limit.
*/
export class FixedWindowCounters {
  private readonly counts = new Map<string, { window: number; count: number; resetsAt: number }>();
  private lastSweep = 0;

  /** Adds `hits` to the counter of `cacheKey` in the window of `unit` containing `now` (epoch ms); returns its value after, and when its window ends. */
  hit(cacheKey: string, unit: RateLimitUnit, hits: number, now: number): { count: number; resetsAt: number } {
    const unitMs = UNIT_SECONDS[unit] * 1000;
    const window = Math.floor(now / unitMs);
    let c = this.counts.get(cacheKey);
    if (!c || c.window !== window) this.counts.set(cacheKey, (c = { window, count: 0, resetsAt: (window + 1) * unitMs }));
    c.count += hits;
    if (now - this.lastSweep > 10_000) this.sweep(now);
    return { count: c.count, resetsAt: c.resetsAt };
  }

  /** Forgets counters whose window is over, as Redis keys expire. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, c] of this.counts) if (c.resetsAt <= now) this.counts.delete(k);
  }

  /** Counters held now (for tests). */
  get size(): number {
    return this.counts.size;
  }
}

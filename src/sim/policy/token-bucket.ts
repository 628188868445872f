import type { RateLimit } from '../../contract/mesh-policy.ts';

/**
The token bucket of Envoy's local rate limit filter (`local_ratelimit`: `token_bucket{max_tokens,
tokens_per_fill, fill_interval}`): it starts full with `burst` tokens, each request takes one, and
tokens come back at `requestsPerSecond`. A request that finds the bucket empty is refused (the
sidecar answers 429, flag RL).

Envoy adds `tokens_per_fill` tokens once per `fill_interval`; this bucket refills continuously
(as if `tokens_per_fill` were 1 and `fill_interval` 1/requestsPerSecond s), so a refusal never
depends on where a fill boundary falls. Pure: time comes in as an argument (ms, monotonic).
*/
export class TokenBucket {
  private rate = 0;
  private max = 0;
  private tokens: number;
  private last: number;

  constructor(spec: RateLimit, now: number) {
    this.set(spec);
    this.tokens = this.max;
    this.last = now;
  }

  get requestsPerSecond(): number {
    return this.rate;
  }

  get burst(): number {
    return this.max;
  }

  /** Takes a token if there is one. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens available at `now` (fractional while refilling). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** A new rate or burst from a config push: the tokens in the bucket stay (capped at the new burst). */
  reconfigure(spec: RateLimit, now: number): void {
    this.refill(now);
    this.set(spec);
    if (this.tokens > this.max) this.tokens = this.max;
  }

  private set(spec: RateLimit): void {
    this.rate = spec.requestsPerSecond;
    this.max = spec.burst;
  }

  private refill(now: number): void {
    const dt = now - this.last;
    this.last = now;
    if (dt <= 0) return;
    const t = this.tokens + (dt * this.rate) / 1000;
    this.tokens = t > this.max ? this.max : t;
  }
}

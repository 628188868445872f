import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

/** What the inner sampler is shown of a new trace besides its id: nothing, the same objects every time (it runs per request at the ingress). */
const NO_ATTRIBUTES = Object.freeze({});
const NO_LINKS: [] = [];

/**
Head sampling for traces that start at a sidecar (the ingress): the inner sampler first (OTel's
TraceIdRatioBased, so a trace id gets the same answer wherever it is asked), then at most
`maxPerSecond` traces a second — a token bucket refilled continuously with a burst of one second's
worth, as Jaeger's rate-limiting sampler — so tracing costs a bounded amount of CPU whatever the load.
*/
export class RateLimitingSampler implements Sampler {
  private readonly inner: Sampler;
  private readonly maxPerSecond: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  /** Traces the inner sampler kept but the rate limit refused. */
  limited = 0;

  /**
  @param inner decides first (e.g. a ratio of trace ids)
  @param maxPerSecond most traces kept per second; 0 or Infinity = no limit
  @param now monotonic ms @default performance.now
  */
  constructor(inner: Sampler, maxPerSecond: number, now: () => number = () => performance.now()) {
    this.inner = inner;
    this.maxPerSecond = maxPerSecond > 0 ? maxPerSecond : Infinity;
    this.now = now;
    this.tokens = this.maxPerSecond;
    this.last = now();
  }

  shouldSample(context: Parameters<Sampler['shouldSample']>[0], traceId: string): SamplingResult {
    const first = this.inner.shouldSample(context, traceId, '', SpanKind.SERVER, NO_ATTRIBUTES, NO_LINKS);
    if (first.decision === SamplingDecision.NOT_RECORD || this.maxPerSecond === Infinity) return first;
    const t = this.now();
    this.tokens = Math.min(this.maxPerSecond, this.tokens + ((t - this.last) / 1000) * this.maxPerSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.limited++;
      return { decision: SamplingDecision.NOT_RECORD };
    }
    this.tokens -= 1;
    return first;
  }

  /** True when a new trace with this id is to be recorded. */
  sample(traceId: string): boolean {
    return this.shouldSample(ROOT_CONTEXT, traceId).decision !== SamplingDecision.NOT_RECORD;
  }

  toString(): string {
    return `RateLimiting{${this.inner.toString()}, maxPerSecond=${this.maxPerSecond}}`;
  }
}

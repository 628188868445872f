import type { LatencySpec } from '../../scenario/scenario.ts';
import { normal, type Random } from '../../util/random.ts';

/** z of the 99th percentile of the standard normal. */
const Z99 = 2.3263;

/**
Draws the work time of one request, in ms.
- `fixed`: always `ms`;
- `distribution`: log-normal through p50 and p99: mu = ln p50, sigma = (ln p99 − ln p50) / z0.99,
  so half the draws are under p50 and 99% under p99, with the long right tail real services have.
*/
export function latencySampler(spec: LatencySpec, random: Random): () => number {
  if (spec.kind === 'fixed') {
    const ms = spec.ms;
    return () => ms;
  }
  const { p50Ms, p99Ms } = spec;
  if (!(p50Ms > 0) || !(p99Ms >= p50Ms)) throw new Error(`latency: need 0 < p50 <= p99, got p50 ${p50Ms}ms, p99 ${p99Ms}ms`);
  const mu = Math.log(p50Ms);
  const sigma = (Math.log(p99Ms) - mu) / Z99;
  return () => Math.exp(mu + sigma * normal(random));
}

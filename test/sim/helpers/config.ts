import type { DestinationPolicy, RetryPolicy } from '../../../src/scenario/scenario.ts';
import type { Endpoint, SidecarConfig } from '../../../src/sim/sidecar-config.ts';

/** A destination policy: no timeout, no retries, round robin, unless overridden. */
export function policy(overrides: Partial<DestinationPolicy> = {}): DestinationPolicy {
  return { timeoutMs: null, retries: null, loadBalancer: 'round_robin', ...overrides };
}

/** A retry policy with tiny back-offs (tests must not wait out real 25ms back-offs by the hundred). */
export function retries(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    attempts: 2,
    perTryTimeoutMs: null,
    retryOn: ['5xx', 'reset', 'connect-failure'],
    retriableStatusCodes: [],
    backoff: { baseMs: 1, maxMs: 2 },
    budget: null,
    ...overrides,
  };
}

export function endpoint(instance: string, port: number, healthy = true): Endpoint {
  return { instance, host: '127.0.0.1', port, healthy };
}

export function sidecarConfig(overrides: Partial<SidecarConfig> & Pick<SidecarConfig, 'clusters'>): SidecarConfig {
  return {
    version: 1,
    service: 'checkout',
    instance: 'checkout-0',
    app: null,
    t0: Date.now(),
    seed: 7,
    ...overrides,
  };
}

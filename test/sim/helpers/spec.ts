import type { ServiceSpec } from '../../../src/scenario/scenario.ts';

/** A built-in service spec: 1ms, no errors, unlimited concurrency, no calls, unless overridden. */
export function serviceSpec(name: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    replicas: 1,
    latency: { kind: 'fixed', ms: 1 },
    errorRate: 0,
    errorStatus: 500,
    concurrency: null,
    queue: 100,
    calls: [],
    callMode: 'sequence',
    instances: {},
    zone: null,
    version: 'v1',
    rateLimit: null,
    bulkheads: {},
    responseBytes: 0,
    ...overrides,
  };
}

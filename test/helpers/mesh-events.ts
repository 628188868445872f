import type { MeshEvent, MeshEventOf } from '../../src/contract/mesh-event.ts';

/**
Mesh events as a sidecar emits them, with every field, for tests that feed the readers (the live
view, the reports) without a run. `cluster` is the endpoint's service (`payments-1` → `payments`).
*/
const serviceOf = (instance: string) => instance.replace(/-\d+$/, '');

export function ejected(at: number, by: string, endpoint: string, over: Partial<MeshEventOf<'ejected'>['data']> = {}): MeshEvent {
  return {
    seq: 1,
    at,
    instance: by,
    type: 'ejected',
    data: { cluster: serviceOf(endpoint), endpoint, reason: 'consecutive_5xx', consecutive: 5, threshold: 5, lastStatus: 503, ejectionMs: 10_000, timesEjected: 1, multiplier: 1, capped: false, ...over },
  };
}

export function unejected(at: number, by: string, endpoint: string, ejectedMs = 10_000): MeshEvent {
  return { seq: 2, at, instance: by, type: 'unejected', data: { cluster: serviceOf(endpoint), endpoint, reason: 'ejection-time-elapsed', ejectedMs } };
}

export function ejectionSkipped(at: number, by: string, endpoint: string, ejected = 1, total = 3, maxEjectionPercent = 0.5): MeshEvent {
  return { seq: 3, at, instance: by, type: 'ejection-skipped', data: { cluster: serviceOf(endpoint), endpoint, reason: 'consecutive_5xx', consecutive: 5, ejected, total, maxEjectionPercent } };
}

export function healthCheckFailed(at: number, by: string, endpoint: string): MeshEvent {
  return { seq: 4, at, instance: by, type: 'health-check-failed', data: { cluster: serviceOf(endpoint), endpoint, path: '/healthz', failure: { kind: 'status', status: 503 }, unhealthyThreshold: 3 } };
}

export function configApplied(at: number, by: string, version = 1, destinations = 1): MeshEvent {
  return { seq: 1, at, instance: by, type: 'config-applied', data: { version, previousVersion: version > 1 ? version - 1 : null, changed: [], destinations } };
}

export function retryBudgetOverflow(at: number, by: string, cluster: string, count: number, seq = 5): MeshEvent {
  return { seq, at, instance: by, type: 'retry-budget-overflow', data: { cluster, count, intervalMs: 1000, percent: 0.2, minRetryConcurrency: 3 } };
}

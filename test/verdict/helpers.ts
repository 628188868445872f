import { buildTimeline, SeriesRecorder, type Timeline } from '../../src/observe/timeline.ts';
import { type SeriesKey } from '../../src/contract/series.ts';
import type { Expectation, Scenario } from '../../src/scenario/scenario.ts';
import { metricSpec } from '../../src/scenario/metrics.ts';
import { destinationPolicy, serviceSpec } from '../helpers/scenario.ts';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/** Samples to record into one series in one second of the run. */
export interface Samples {
  key: SeriesKey;
  second: number;
  /** One sample per latency; a number is repeated `count` times. NaN = no response latency. Default 10ms. */
  latencyMs?: number | number[];
  /** Default 200. */
  status?: number | 'error';
  flags?: string[];
  /** Default 1 (ignored when latencyMs is an array). */
  count?: number;
  /** Retries to record in that second of the series. Default 0. */
  retries?: number;
}

/** A dense timeline of `seconds` seconds built the way the harness builds one: SeriesRecorder → buildTimeline. */
export function makeTimeline(seconds: number, samples: Samples[], t0 = T0): Timeline {
  let now = t0;
  const rec = new SeriesRecorder({ t0, now: () => now });
  for (const s of samples) {
    const at = t0 + s.second * 1000 + 500;
    now = at;
    const latencies = Array.isArray(s.latencyMs)
      ? s.latencyMs
      : Array.from({ length: s.count ?? 1 }, () => (s.latencyMs as number | undefined) ?? 10);
    for (const latencyMs of latencies) rec.record(s.key, { status: s.status ?? 200, latencyMs, flags: s.flags }, at);
    for (let i = 0; i < (s.retries ?? 0); i++) rec.retry(s.key, at);
  }
  return buildTimeline(t0, seconds, [rec.toJSON()]);
}

/** `n` identical requests in every second of `[from, to)`. */
export function steady(key: SeriesKey, from: number, to: number, sample: Omit<Samples, 'key' | 'second'> = {}): Samples[] {
  return Array.from({ length: to - from }, (_, i) => ({ key, second: from + i, ...sample }));
}

export const service = serviceSpec;

/** A destination policy with no timeout, no retries and no limits. */
export const policy = destinationPolicy;

/** front (1 replica) → store (2 replicas), load on front, 10s. */
export function makeScenario(overrides: Partial<Scenario> = {}): Scenario {
  const services = overrides.services ?? [service('front', { calls: ['store'] }), service('store', { replicas: 2 })];
  const mesh: Scenario['mesh'] = {};
  for (const s of services) mesh[s.name] = policy();
  return {
    version: 1,
    name: 'test-scenario',
    description: 'A scenario for tests.',
    seed: 42,
    durationMs: 10_000,
    services,
    mesh,
    load: { target: 'front', model: 'open', rate: 100, arrivals: 'uniform', connections: 10, durationMs: 10_000, phases: [], path: '/' },
    profile: 'envoy',
    chaos: { engine: 'builtin', address: null },
    runtime: 'local',
    faults: [],
    expect: [],
    source: { file: 'scenarios/test.yaml' },
    ...overrides,
  };
}

export function expectation(
  e: Pick<Expectation, 'metric' | 'scope' | 'op' | 'value'> & Partial<Expectation>,
): Expectation {
  return { text: `${e.metric} ${e.op} ${e.value}`, unit: metricSpec(e.metric)!.unit, window: { kind: 'run' }, line: 1, col: 1, ...e };
}

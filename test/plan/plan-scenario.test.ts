import assert from 'node:assert/strict';
import { test } from 'vitest';
import { planScenario, rescaleScenario } from '../../src/plan/plan-scenario.ts';
import type { Expectation, Scenario } from '../../src/scenario/scenario.ts';
import { destinationPolicy, serviceSpec } from '../helpers/scenario.ts';

const service = serviceSpec;

const policy = destinationPolicy();
const scenario: Scenario = {
  version: 1,
  name: 't',
  description: 'd',
  seed: 42,
  durationMs: 10_000,
  services: [service('front', { calls: ['store'] }), service('store', { replicas: 3, instances: { 'store-2': { latency: { kind: 'fixed', ms: 150 } } } })],
  mesh: { front: policy, store: policy },
  load: { target: 'front', model: 'open', rate: 100, arrivals: 'uniform', connections: 10, durationMs: 10_000, phases: [{ durationMs: 4000, rate: 100 }, { durationMs: 6000, rate: 300 }], path: '/' },
  profile: 'envoy',
  chaos: { engine: 'builtin', address: null },
  runtime: 'local',
  faults: [],
  expect: [{ text: 'x', metric: 'rps', scope: { kind: 'client' }, op: '>', value: 1, unit: 'rps', window: { kind: 'between', fromMs: 2000, toMs: 8000 }, line: 1, col: 1 }],
  source: { file: 't.yaml' },
};

test('one pod per instance, with per-instance overrides applied and stable derived seeds', () => {
  const plan = planScenario(scenario, 'r1');
  assert.deepEqual(plan.pods.map((p) => p.instance), ['front-0', 'store-0', 'store-1', 'store-2']);
  assert.deepEqual(plan.pods[3].spec.latency, { kind: 'fixed', ms: 150 });
  assert.deepEqual(plan.pods[2].spec.latency, { kind: 'fixed', ms: 1 });
  assert.notEqual(plan.pods[1].sidecarSeed, plan.pods[2].sidecarSeed);
  assert.equal(planScenario(scenario, 'r2').pods[2].appSeed, plan.pods[2].appSeed, 'same scenario seed, same instance seeds');
  assert.deepEqual(plan.routes, { client: ['front'], front: ['store'], store: [] });
});

test('load phases are laid end to end', () => {
  const plan = planScenario(scenario, 'r1');
  assert.deepEqual(plan.load.phases, [
    { startMs: 0, durationMs: 4000, rate: 100 },
    { startMs: 4000, durationMs: 6000, rate: 300 },
  ]);
});

test('the load plan carries the model, the arrivals and a seed derived from the scenario seed; closed loop has no phases', () => {
  const plan = planScenario({ ...scenario, load: { ...scenario.load, arrivals: 'poisson' } }, 'r1');
  assert.deepEqual([plan.load.model, plan.load.arrivals], ['open', 'poisson']);
  assert.equal(planScenario({ ...scenario, load: { ...scenario.load, arrivals: 'poisson' } }, 'r2').load.seed, plan.load.seed, 'same scenario seed, same schedule');
  assert.notEqual(planScenario({ ...scenario, seed: 43 }, 'r1').load.seed, plan.load.seed);
  const closed = planScenario({ ...scenario, load: { ...scenario.load, model: 'closed', rate: null, phases: [] } }, 'r1');
  assert.deepEqual([closed.load.model, closed.load.phases, closed.load.connections], ['closed', [], 10]);
});

test('rescaling compresses the timeline but not latencies or policies', () => {
  const s = rescaleScenario(scenario, 5000);
  assert.equal(s.durationMs, 5000);
  assert.equal(s.load.durationMs, 5000);
  assert.deepEqual(s.load.phases.map((p) => p.durationMs), [2000, 3000]);
  assert.deepEqual((s.expect[0] as Expectation).window, { kind: 'between', fromMs: 1000, toMs: 4000 });
  assert.deepEqual(s.services, scenario.services);
  assert.deepEqual(s.mesh, scenario.mesh);
});

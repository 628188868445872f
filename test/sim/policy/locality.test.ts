import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { planPriorities } from '../../../src/sim/policy/locality.ts';

const p = (healthy: number, total: number) => ({ healthy, total });

describe('priority load and panic (Envoy load_balancer_impl.cc)', () => {
  it('Envoy priority levels: P0 keeps all traffic while healthy × 1.4 ≥ 100% (overprovisioning factor, priority load docs)', () => {
    assert.equal(planPriorities(p(10, 10), p(10, 10), 1.4, 0.5).p0Load, 100);
    assert.equal(planPriorities(p(8, 10), p(10, 10), 1.4, 0.5).p0Load, 100, '80% × 1.4 = 112% → capped at 100');
  });

  it('Envoy priority levels: below ~72% healthy, P0 gets ⌊1.4 × healthy share⌋ and the rest spills to P1', () => {
    assert.equal(planPriorities(p(5, 10), p(10, 10), 1.4, 0.5).p0Load, 70);
    assert.equal(planPriorities(p(2, 10), p(10, 10), 1.4, 0.5).p0Load, 28);
    assert.equal(planPriorities(p(1, 3), p(3, 3), 1.4, 0.5).p0Load, 46, '⌊140/3⌋ = 46');
    assert.equal(planPriorities(p(0, 3), p(3, 3), 1.4, 0.5).p0Load, 0);
  });

  it('Envoy priority levels: when both priorities are short of health the load is normalized (16% / 28% example scaled)', () => {
    // P0 health 28, P1 health 42 → total 70; P0 gets ⌊100 × 28/70⌋ = 40
    const plan = planPriorities(p(2, 10), p(3, 10), 1.4, 0);
    assert.deepEqual([plan.health0, plan.health1, plan.normalizedTotal, plan.p0Load], [28, 42, 70, 40]);
  });

  it('no local endpoints: everything goes to the other zones', () => {
    assert.equal(planPriorities(p(0, 0), p(3, 3), 1.4, 0.5).p0Load, 0);
  });

  it('Envoy panic threshold: a single priority below 50% healthy balances over all hosts (panic threshold docs)', () => {
    const plan = planPriorities(p(1, 3), p(0, 0), 1.4, 0.5);
    assert.equal(plan.panic0, true);
    assert.equal(plan.p0Load, 100);
    assert.equal(planPriorities(p(2, 4), p(0, 0), 1.4, 0.5).panic0, false, '50% is not below 50%');
  });

  it('Envoy panic threshold: no panic while the normalized total health is 100%, whatever one priority looks like', () => {
    const plan = planPriorities(p(0, 5), p(5, 5), 1.4, 0.5);
    assert.equal(plan.normalizedTotal, 100);
    assert.equal(plan.panic0, false);
    assert.equal(plan.p0Load, 0);
  });

  it('Envoy panic threshold: when every priority panics, load follows host counts (recalculateLoadInTotalPanic)', () => {
    const plan = planPriorities(p(0, 1), p(0, 3), 1.4, 0.5);
    assert.equal(plan.panic0 && plan.panic1, true);
    assert.equal(plan.p0Load, 25);
  });

  it('Istio (min health 0%): with a panic threshold of 0 and no healthy host nothing panics; the request fails (503 UH)', () => {
    const plan = planPriorities(p(0, 3), p(0, 0), 1.4, 0);
    assert.equal(plan.panic0, false);
    assert.equal(plan.panic1, false);
  });

  it('Envoy panic threshold: with a threshold > 0 and no healthy host at all, all hosts are used (total panic)', () => {
    const plan = planPriorities(p(0, 3), p(0, 0), 1.4, 0.5);
    assert.equal(plan.panic0, true);
    assert.equal(plan.p0Load, 100);
  });
});

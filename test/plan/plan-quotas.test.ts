import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { planQuotas } from '../../src/plan/plan-quotas.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { RuleTree } from '../../src/sim/ratelimit/rule-tree.ts';

function plan(quotas: string) {
  const yaml = `version: 1\nname: shop\ndescription: d\nduration: 5s\nservices:\n  front: { calls: [orders] }\n  orders:\n    replicas: 3\n    quotas:\n${quotas}load: { target: front, rate: 10 }\n`;
  const r = parseScenario(yaml, 's.yaml');
  assert.deepEqual(r.issues, []);
  return planQuotas(r.scenario!)!;
}

describe('the quotas as the rate-limit service configuration and the sidecars actions', () => {
  test('one descriptor per service; its other quotas are children keyed by what they count by, each sent as a descriptor of its own', () => {
    const p = plan('      - { limit: 50/s }\n      - { by: caller, limit: 600/m }\n      - { by: caller, value: front, limit: 5/s, shadow: true }\n      - { by: header, header: X-User, limit: 10/h }\n');
    assert.deepEqual(p.config, {
      domain: 'shop',
      descriptors: [
        {
          key: 'destination_cluster',
          value: 'orders',
          rate_limit: { unit: 'second', requests_per_unit: 50 },
          descriptors: [
            { key: 'client_cluster', rate_limit: { unit: 'minute', requests_per_unit: 600 } },
            { key: 'client_cluster', value: 'front', rate_limit: { unit: 'second', requests_per_unit: 5 }, shadow_mode: true },
            { key: 'x-user', rate_limit: { unit: 'hour', requests_per_unit: 10 } },
          ],
        },
      ],
    });
    const fixed = { kind: 'fixed', key: 'destination_cluster', value: 'orders' };
    assert.deepEqual(p.actions, {
      orders: [[fixed], [fixed, { kind: 'header', key: 'client_cluster', header: 'x-envoy-downstream-service-cluster' }], [fixed, { kind: 'header', key: 'x-user', header: 'x-user' }]],
    });
    assert.deepEqual(Object.keys(p.quotas), [
      'shop.destination_cluster_orders',
      'shop.destination_cluster_orders.client_cluster',
      'shop.destination_cluster_orders.client_cluster_front',
      'shop.destination_cluster_orders.x-user',
    ]);
  });

  test('what the sidecars send finds the rule each quota stands for (the caller with a value of its own first)', () => {
    const p = plan('      - { by: caller, limit: 600/m }\n      - { by: caller, value: front, limit: 5/s }\n');
    const tree = new RuleTree(p.config);
    const from = (caller: string) => tree.match({ entries: [{ key: 'destination_cluster', value: 'orders' }, { key: 'client_cluster', value: caller }] })?.key;
    assert.equal(from('front'), 'shop.destination_cluster_orders.client_cluster_front');
    assert.equal(from('batch'), 'shop.destination_cluster_orders.client_cluster');
    // No quota on the service as a whole: its descriptor alone has no rule (and its sidecars do not send it).
    assert.equal(tree.match({ entries: [{ key: 'destination_cluster', value: 'orders' }] }), null);
    assert.equal(p.actions.orders.length, 1);
  });

  test('no quotas, no rate-limit service', () => {
    const r = parseScenario('version: 1\nname: t\ndescription: d\nduration: 5s\nservices:\n  a: {}\nload: { target: a, rate: 10 }\n', 's.yaml');
    assert.equal(planQuotas(r.scenario!), null);
  });
});

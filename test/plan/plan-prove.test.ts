import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { validate } from '../../src/api/validate.ts';
import { PROFILES } from '../../src/contract/defaults.ts';
import { BASELINE, EVERY_POLICY, planProve } from '../../src/plan/plan-prove.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../src/scenario/scenario.ts';
import { ROOT } from '../helpers/cli.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'many-policies.yaml');

async function load(file: string): Promise<Scenario> {
  const checked = await validate(file);
  assert.ok(checked.valid, checked.problems.map((p) => p.message).join('\n'));
  return checked.scenarios[0].scenario;
}

/** The fixture with some lines taken out, parsed as a scenario: what a hand-written twin would be. */
function without(lines: RegExp[]): Scenario {
  const text = readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => !lines.some((r) => r.test(l)))
    .join('\n');
  const parsed = parseScenario(text, FIXTURE);
  assert.equal(parsed.issues.length, 0, parsed.issues.map((e) => e.message).join('\n'));
  return parsed.scenario!;
}

describe('planProve', () => {
  test('lists every policy the scenario declares, by service, and none it writes with the default value', async () => {
    const plan = planProve(await load(FIXTURE));
    assert.deepEqual(
      plan.policies.map((p) => p.key),
      [
        'services.front.bulkheads.store',
        'mesh.store.timeout',
        'mesh.store.retries',
        'mesh.store.retries.perTryTimeout',
        'mesh.store.retries.budget',
        'mesh.store.loadBalancer',
        'mesh.store.connectionPool',
        'mesh.store.outlierDetection',
        'mesh.store.panicThreshold',
        'mesh.store.healthCheck',
        'services.store.rateLimit',
        'mesh.reviews.split',
      ].sort((a, b) => order(a) - order(b)),
    );
    const timeout = plan.policies.find((p) => p.key === 'mesh.store.timeout')!;
    assert.deepEqual({ declared: timeout.declared, instead: timeout.instead, kind: timeout.kind, service: timeout.service }, { declared: '800ms', instead: 'none, the istio default', kind: 'timeout', service: 'store' });
  });

  test('the baseline first, one variant per policy, then every policy taken out at once', async () => {
    const scenario = await load(FIXTURE);
    const plan = planProve(scenario);
    assert.equal(plan.variants[0].id, BASELINE);
    assert.equal(plan.variants[0].scenario, scenario);
    assert.deepEqual(plan.variants.slice(1, -1).map((v) => v.removed), plan.policies.map((p) => [p.key]));
    const all = plan.variants.at(-1)!;
    assert.equal(all.id, EVERY_POLICY);
    assert.equal(plan.withoutEveryPolicy, EVERY_POLICY);
    assert.deepEqual(all.removed, plan.policies.map((p) => p.key));
    assert.equal(new Set(plan.variants.map((v) => v.scenario.name)).size, plan.variants.length, 'each run gets a folder of its own');
  });

  test("each variant is the scenario as if the policy were not written: the profile's default in its place", async () => {
    const plan = planProve(await load(FIXTURE));
    const variant = (key: string) => plan.variants.find((v) => v.id === key)!.scenario;
    const cases: [string, RegExp[]][] = [
      ['mesh.store.timeout', [/^    timeout: 800ms/]],
      ['mesh.store.retries', [/^    retries:/]],
      ['mesh.store.loadBalancer', [/^    loadBalancer: random/]],
      ['mesh.store.connectionPool', [/^    connectionPool:/]],
      // Under Istio, locality comes with outlier detection: it goes with it.
      ['mesh.store.outlierDetection', [/^    outlierDetection:/]],
      ['mesh.store.panicThreshold', [/^    panicThreshold:/]],
      ['mesh.store.healthCheck', [/^    healthCheck:/]],
      ['services.store.rateLimit', [/^    rateLimit:/]],
      ['services.front.bulkheads.store', [/^    bulkheads:/]],
      ['mesh.reviews.split', [/^    split:/]],
    ];
    for (const [key, lines] of cases) {
      const twin = without(lines);
      assert.deepEqual(variant(key).mesh, twin.mesh, `${key}: mesh`);
      assert.deepEqual(variant(key).services, twin.services, `${key}: services`);
    }
    const budget = variant('mesh.store.retries.budget').mesh.store.retries!;
    assert.equal(budget.budget, null);
    assert.equal(budget.perTryTimeoutMs, 200, 'only the budget is taken out');
    assert.equal(variant('mesh.store.retries.perTryTimeout').mesh.store.retries!.perTryTimeoutMs, null);
    assert.deepEqual(variant('mesh.store.retries').mesh.store.retries, PROFILES.istio.retries, "Istio's own default retries, not none");
  });

  test('every policy taken out is the scenario with no mesh block and no service policies', async () => {
    const plan = planProve(await load(FIXTURE));
    const twin = without([/^    (timeout|retries|connectionPool|outlierDetection|panicThreshold|healthCheck|rateLimit|bulkheads|split):/, /^    loadBalancer: random/]);
    const all = plan.variants.at(-1)!.scenario;
    assert.deepEqual(all.mesh, twin.mesh);
    assert.deepEqual(all.services, twin.services);
    assert.deepEqual(all.expect, plan.variants[0].scenario.expect, 'expectations are the same in every run');
    assert.equal(planProve(all).policies.length, 0, 'nothing left to take out');
  });

  test('one policy: its variant is also the one without every policy; none: the baseline is', async () => {
    const one = planProve(await load(join(ROOT, 'scenarios', 'a-timeout-caps-a-slow-dependency.yaml')));
    assert.deepEqual(one.variants.map((v) => v.id), [BASELINE, 'mesh.store.timeout']);
    assert.equal(one.withoutEveryPolicy, 'mesh.store.timeout');
    const none = planProve(await load(join(ROOT, 'scenarios', 'a-timeout-caps-a-slow-dependency--without-timeout.yaml')));
    assert.deepEqual(none.variants.map((v) => v.id), [BASELINE]);
    assert.equal(none.withoutEveryPolicy, BASELINE);
  });

  // The shipped twins that only take a policy out: the planner must derive each of them.
  const twins: [string, string][] = [
    ['quickstart', 'mesh.payments.retries'],
    ['retries-hide-a-flaky-dependency', 'mesh.store.retries'],
    ['a-timeout-caps-a-slow-dependency', 'mesh.store.timeout'],
    ['least-request-avoids-a-slow-replica', 'mesh.store.loadBalancer'],
    ['slow-link-hidden-by-per-try-timeout', 'mesh.store.retries.perTryTimeout'],
    ['outlier-detection-ejects-a-failing-replica', 'mesh.payments.outlierDetection'],
    ['zone-partition-fails-over-to-the-other-zone', 'mesh.store.outlierDetection'],
    ['a-circuit-breaker-sheds-load', 'mesh.backend.connectionPool'],
    ['a-rate-limit-keeps-a-callee-within-capacity', 'services.inventory.rateLimit'],
    ['a-canary-gets-ten-percent', 'mesh.reviews.split'],
    ['locality-keeps-traffic-off-a-bandwidth-limited-link', 'mesh.store.locality'],
    ['zone-failover', 'mesh.backend.locality'],
    ['reset-peer-absorbed-by-retry-on-reset', EVERY_POLICY],
    ['strict-mtls-refuses-a-plaintext-caller', 'services.payments.mtls'],
    ['an-authorization-policy-keeps-payments-private', 'services.payments.authorization'],
  ];
  const PROVED_END_TO_END = new Set(['retries-hide-a-flaky-dependency', 'a-canary-gets-ten-percent']);
  for (const [name, key] of twins) {
    test(`derives the shipped twin of ${name} (${key})`, async () => {
      const files = (await validate(join(ROOT, 'scenarios'))).scenarios;
      const base = files.find((f) => f.name === name)!.scenario;
      const twin = files.find((f) => f.name.startsWith(`${name}--`))!.scenario;
      const v = planProve(base).variants.find((x) => x.id === key);
      assert.ok(v, `${key} is among ${planProve(base).variants.map((x) => x.id).join(', ')}`);
      assert.deepEqual(v.scenario.mesh, twin.mesh);
      assert.deepEqual(v.scenario.services, twin.services);
      assert.deepEqual(v.scenario.security, twin.security);
      // For the pairs prove.test.ts proves (and shipped-scenarios.test.ts therefore does not run),
      // the rest of the variant is the twin's too: its prove run is the twin's run.
      if (!PROVED_END_TO_END.has(name)) return;
      const rest = (s: typeof twin) => ({ seed: s.seed, durationMs: s.durationMs, load: s.load, faults: s.faults, expect: s.expect.map((e) => e.text), runtime: s.runtime, chaos: s.chaos, gateways: s.gateways, externals: s.externals });
      assert.deepEqual(rest(v.scenario), rest(twin));
    });
  }
});

/** Policies come by service in declaration order (front, store, reviews), each service's mesh policies in the rules' order, then its rate limit and bulkheads. */
function order(key: string): number {
  const services = ['front', 'store', 'reviews'];
  const service = key.split('.')[1];
  const within = ['timeout', 'retries', 'retries.perTryTimeout', 'retries.budget', 'loadBalancer', 'connectionPool', 'outlierDetection', 'panicThreshold', 'healthCheck', 'locality', 'split', 'rateLimit', 'bulkheads'];
  const rest = key.split('.').slice(2).join('.');
  const i = within.findIndex((w) => rest === w || rest.startsWith(`${w}.`));
  return services.indexOf(service) * 100 + (key.startsWith('services.') ? 50 + i : i);
}

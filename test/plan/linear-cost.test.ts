// Explaining and planning a scenario cost time in proportion to its size, never its square: 4000
// replicas once took 2.7 s to explain and 100 000 did not finish. Sizes past the scenario limits are
// built here by joining real parsed scenarios, since the cost must stay linear whatever the limits are.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { planLinks } from '../../src/chaos/links/link-plan.ts';
import { explainScenario } from '../../src/explain/explain-scenario.ts';
import { planScenario } from '../../src/plan/plan-scenario.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../src/scenario/scenario.ts';

const blocks = new Map<number, Scenario>();

/** One block of 10 services × 10 instances in a chain, with zones, versions, an override, policies, faults and expectations, all named after `k`. */
function block(k: number): Scenario {
  const known = blocks.get(k);
  if (known) return known;
  const s = (i: number) => `k${k}s${i}`;
  const lines = ['version: 1', `name: block-${k}`, 'description: a block of a big topology', 'duration: 60s', 'services:'];
  for (let i = 0; i < 10; i++) {
    const calls = i < 9 ? `calls: [${s(i + 1)}], ` : '';
    lines.push(`  ${s(i)}: { replicas: 10, ${calls}zones: [a, b], instances: { ${s(i)}-3: { version: v2, latency: 50ms } } }`);
  }
  lines.push('mesh:');
  for (let i = 1; i < 10; i++) lines.push(`  ${s(i)}: { retries: { attempts: 2 }, outlierDetection: {} }`);
  lines.push(`load: { target: ${s(0)}, rate: 10/s }`, 'faults:');
  for (let i = 1; i < 10; i++) {
    lines.push(`  - { name: ${s(i)}-f, at: ${i}s, for: 5s, target: ${s(i)}, http: { abort: 503, percent: 10% } }`);
    lines.push(`  - { name: ${s(i)}-t, at: ${i}s, for: 5s, target: ${s(i - 1)} -> ${s(i)}-1, toxic: { type: latency, latency: 50 } }`);
  }
  lines.push('expect:');
  for (let i = 1; i < 10; i++) {
    lines.push(`  - p99(${s(i)}) < 1s during ${s(i)}-f`, `  - requests(${s(i - 1)} -> ${s(i)}-1) > 0 after ${s(i)}-t.end`, `  - ejected(${s(i)}-2) within 5s after ${s(i)}-f.start`);
  }
  const parsed = parseScenario(lines.join('\n') + '\n', `block-${k}.yaml`);
  if (!parsed.scenario) throw new Error(parsed.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`).join('\n'));
  blocks.set(k, parsed.scenario);
  return parsed.scenario;
}

/** `blocks` blocks joined into one scenario, each block's chain called by the previous block's last service. */
function topology(blocks: number): Scenario {
  const parts = Array.from({ length: blocks }, (_, k) => block(k));
  const services = parts.flatMap((p, k) =>
    p.services.map((s, i) => (i === 9 && k + 1 < blocks ? { ...s, calls: [...s.calls, parts[k + 1].services[0].name] } : s)),
  );
  return {
    ...parts[0],
    services,
    mesh: Object.assign({}, ...parts.map((p) => p.mesh)),
    faults: parts.flatMap((p) => p.faults),
    expect: parts.flatMap((p) => p.expect),
  };
}

/** One service with this many replicas (past the limit of 100: the cost must not depend on it). */
function replicas(n: number): Scenario {
  const base = block(0);
  return { ...base, services: base.services.map((s, i) => (i === 5 ? { ...s, replicas: n } : s)) };
}

// A full collection before each sample, so what earlier samples left is not collected inside this one.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** How long `work` takes (ms): the least of a few samples, each after a full collection and repeating it for at least 30 ms, so a pause of the machine or the collector in one sample does not count. */
function least(work: () => void, samples: number): number {
  let least = Infinity;
  for (let i = 0; i < samples; i++) {
    collect();
    const t0 = performance.now();
    let runs = 0;
    do {
      work();
      runs++;
    } while (performance.now() - t0 < 30);
    least = Math.min(least, (performance.now() - t0) / runs);
  }
  return least;
}

/** How many times larger the second size is. */
const SCALE = 8;
/**
The most a SCALE-times larger input may take against the smaller one: linear work takes about 8×,
quadratic 64×. Linear work also costs more per item once its data outgrows the caches: planning's
links cost ~100 ns each up to ~20 000 links and ~250 ns from ~40 000 (a plateau: 80 000 → 160 000
links took 2.1× the time). At 4× the size (10 → 40 blocks, across that step; the bound was 8 between
linear 4 and quadratic 16) planning measured 3.2–6.7× here and 8.11× three times in a row on a
fresh-clone CI. At 8× it measures 7.9–15.9× here (both cores kept busy included); 32 leaves the noise room, and quadratic
work would have to look twice as fast as it is, three times in a row, to pass.
*/
const MAX_GROWTH = 32;

/**
How much longer the work takes at SCALE× the size. Both sizes are timed in the same run, alternately,
so the machine's load hits both alike. A ratio over MAX_GROWTH is measured again (up to three times):
noise can make linear work look worse once, but cannot make quadratic work look linear three times
in a row.
*/
function growth(make: (n: number) => Scenario, small: number, work: (s: Scenario) => void): number {
  const a = make(small);
  const b = make(small * SCALE);
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio >= MAX_GROWTH; attempt++) {
    let ta = Infinity;
    let tb = Infinity;
    for (let round = 0; round < 3; round++) {
      ta = Math.min(ta, least(() => work(a), 2));
      tb = Math.min(tb, least(() => work(b), 2));
    }
    ratio = tb / ta;
  }
  return ratio;
}

const explain = (s: Scenario) => void explainScenario(s);
const plan = (s: Scenario) => void planLinks(planScenario(s, 'r'));

describe('explain and planning grow linearly with the topology', { timeout: 60_000 }, () => {
  test('more services, instances, faults and expectations (10 → 80 blocks of 100 instances)', () => {
    const t = topology(10 * SCALE);
    expect(t.services.length).toBe(800);
    expect(t.services.reduce((a, s) => a + s.replicas, 0)).toBe(8000);
    expect(t.faults.length).toBe(1440);
    expect(t.expect.length).toBe(2160);
    expect(growth(topology, 10, explain)).toBeLessThan(MAX_GROWTH);
    expect(growth(topology, 10, plan)).toBeLessThan(MAX_GROWTH);
  });

  test('more replicas of one service (1000 → 8000)', () => {
    expect(growth(replicas, 1000, explain)).toBeLessThan(MAX_GROWTH);
    expect(growth(replicas, 1000, plan)).toBeLessThan(MAX_GROWTH);
  });

  test('the work measured is the real thing: the explanation names every instance, the plan has every pod and link', () => {
    const t = topology(2);
    const text = explainScenario(t).join('\n');
    expect(text).toContain('k1s9-9');
    expect(text).toContain('k1s9-f');
    const p = planScenario(t, 'r');
    expect(p.pods).toHaveLength(200);
    // Each of 20 services' 10 pods calls the 10 instances of the next, and the ingress calls the first's.
    expect(planLinks(p)).toHaveLength(19 * 10 * 10 + 10);
  });
});

import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { createLoadBalancer, LeastRequestLoadBalancer, RandomLoadBalancer, RoundRobinLoadBalancer } from '../../../src/sim/policy/load-balancer.ts';
import { seededRandom } from '../../../src/util/random.ts';

const hosts = (...active: number[]) => active.map((a, i) => ({ name: `h${i}`, active: a }));

describe('load balancers', () => {
  it('round robin (Envoy ROUND_ROBIN): cycles through every host in order from a random start', () => {
    const lb = new RoundRobinLoadBalancer(seededRandom(3));
    const hs = hosts(0, 0, 0, 0);
    const picks = Array.from({ length: 12 }, () => lb.pick(hs)!.name);
    const start = Number(picks[0].slice(1));
    assert.deepEqual(
      picks,
      Array.from({ length: 12 }, (_, i) => `h${(start + i) % 4}`),
    );
  });

  it('round robin: the start offset comes from the seeded random (same seed, same first pick; others differ)', () => {
    const hs = hosts(0, 0, 0, 0, 0, 0, 0);
    const first = (seed: number) => new RoundRobinLoadBalancer(seededRandom(seed)).pick(hs)!.name;
    assert.equal(first(11), first(11));
    const firsts = new Set(Array.from({ length: 20 }, (_, s) => first(s)));
    assert.ok(firsts.size > 1, 'sidecars with different seeds do not all start on the same host');
  });

  it('round robin: keeps rotating when the host list changes size', () => {
    const lb = new RoundRobinLoadBalancer(seededRandom(1));
    lb.pick(hosts(0, 0, 0));
    const two = hosts(0, 0);
    const a = lb.pick(two)!.name;
    const b = lb.pick(two)!.name;
    assert.notEqual(a, b);
  });

  it('least request (Envoy P2C, choice_count 2): always picks the less loaded of the two drawn', () => {
    // With two hosts, P2C draws both every time: the idle one must always win.
    const lb = new LeastRequestLoadBalancer(seededRandom(5));
    const hs = hosts(10, 0);
    for (let i = 0; i < 200; i++) assert.equal(lb.pick(hs)!.name, 'h1');
  });

  it('least request: with many hosts, the busiest host is picked only when drawn against an equally busy one (never here)', () => {
    const lb = new LeastRequestLoadBalancer(seededRandom(9));
    const hs = hosts(0, 1, 2, 3, 50);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const h = lb.pick(hs)!.name;
      counts.set(h, (counts.get(h) ?? 0) + 1);
    }
    assert.equal(counts.get('h4') ?? 0, 0, 'the host with 50 active never beats any other');
    // P(pick least loaded h0) = P(h0 is one of the two) = 2/5 = 0.4
    const p0 = (counts.get('h0') ?? 0) / 10_000;
    assert.ok(Math.abs(p0 - 0.4) < 0.03, `h0 share ${p0} should be ~0.4`);
  });

  it('least request: ties are broken randomly (both of two equal hosts get about half)', () => {
    const lb = new LeastRequestLoadBalancer(seededRandom(21));
    const hs = hosts(3, 3);
    let h0 = 0;
    for (let i = 0; i < 4000; i++) if (lb.pick(hs)!.name === 'h0') h0++;
    assert.ok(Math.abs(h0 / 4000 - 0.5) < 0.04, `h0 share ${h0 / 4000} should be ~0.5`);
  });

  it('random (Envoy RANDOM): uniform over hosts', () => {
    const lb = new RandomLoadBalancer(seededRandom(2));
    const hs = hosts(0, 0, 0, 0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[Number(lb.pick(hs)!.name.slice(1))]++;
    for (const c of counts) assert.ok(Math.abs(c / 8000 - 0.25) < 0.03, `share ${c / 8000} should be ~0.25`);
  });

  it('every balancer returns undefined when there is no host, and the only host when there is one', () => {
    for (const kind of ['round_robin', 'least_request', 'random'] as const) {
      const lb = createLoadBalancer(kind, seededRandom(1));
      assert.equal(lb.kind, kind);
      assert.equal(lb.pick([]), undefined);
      assert.equal(lb.pick(hosts(4))!.name, 'h0');
    }
  });

  it('the same seed gives the same picks (replayable runs)', () => {
    const seq = (seed: number) => {
      const lb = createLoadBalancer('random', seededRandom(seed));
      return Array.from({ length: 20 }, () => lb.pick(hosts(0, 0, 0))!.name).join();
    };
    assert.equal(seq(42), seq(42));
  });

  it('rejects an unknown kind with the valid ones named', () => {
    assert.throws(() => createLoadBalancer('ring_hash' as never, seededRandom(1)), /round_robin, least_request or random/);
  });
});

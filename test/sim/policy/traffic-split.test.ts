import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { CompiledSplit } from '../../../src/sim/policy/traffic-split.ts';
import { seededRandom } from '../../../src/util/random.ts';

describe('traffic split (Istio VirtualService weighted routes and header matches)', () => {
  it('Istio weighted routing: a 90/10 split sends 90% ± 1% of 20 000 draws to v1 with a seed', () => {
    const s = new CompiledSplit({ weights: { v1: 0.9, v2: 0.1 }, routes: [] });
    const random = seededRandom(42);
    let v1 = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (s.pickVersion([], random) === 'v1') v1++;
    assert.ok(Math.abs(v1 / n - 0.9) < 0.01, `v1 share ${v1 / n}`);
  });

  it('Istio HTTPMatchRequest: the first route whose headers all match wins (names in any case, exact values)', () => {
    const s = new CompiledSplit({
      weights: { v1: 1 },
      routes: [
        { headers: { 'x-user': 'jason', 'x-beta': '1' }, version: 'v3' },
        { headers: { 'X-User': 'jason' }, version: 'v2' },
      ],
    });
    const r = () => 0;
    assert.equal(s.pickVersion(['X-USER', 'jason'], r), 'v2');
    assert.equal(s.pickVersion(['x-user', 'jason', 'x-beta', '1'], r), 'v3');
    assert.equal(s.pickVersion(['x-user', 'Jason'], r), 'v1', 'values are exact');
    assert.equal(s.pickVersion([], r), 'v1');
    assert.deepEqual(s.allVersions.sort(), ['v1', 'v2', 'v3']);
  });

  it('a single version or 100% weight does not draw', () => {
    let draws = 0;
    const s = new CompiledSplit({ weights: { v2: 1, v1: 0 }, routes: [] });
    assert.equal(
      s.pickVersion([], () => {
        draws++;
        return 0.99;
      }),
      'v2',
    );
    assert.equal(draws, 0);
  });
});

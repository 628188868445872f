import assert from 'node:assert/strict';
import type { RunResult } from '../../src/report/run-result.ts';

/** The shipped security pairs (issue 13), run on both runtimes by security-scenarios.test.ts. */
export interface Case {
  file: string;
  code: 0 | 1;
  failing: string[];
  /**
  Expectations that fail in some runs and hold in others, by an order the mesh does not fix (which
  pod gets its new certificate first decides which edge breaks): either verdict is as documented.
  */
  mayFail?: string[];
  /**
  Compress the run (`--duration`): the policy's effect shows from the first request, so five
  seconds decide it as the scenario's length does. Absent: full length (a rotation's own times).
  */
  duration?: string;
  /**
  Runs on the local runtime at the same time as the case next to it that is also marked (its twin):
  only a pair light enough that the two together keep every promise of the harness (docs/ci.md has
  the measurements). Absent: alone, as every other timed run.
  */
  sideBySide?: true;
  /** What the run's events or reports must show. */
  check(result: RunResult, summary: string, html: string): void;
}

export const SECURITY_CASES: Case[] = [
  {
    file: 'strict-mtls-refuses-a-plaintext-caller.yaml',
    duration: '5s',
    sideBySide: true,
    code: 0,
    failing: [],
    check: (r, md) => {
      assert.ok(r.events.some((e) => e.type === 'handshake-failed' && e.data.kind === 'no_filter_chain_match'), 'a refused plaintext connection was reported');
      assert.match(md, /\*\*Security\*\*/);
      assert.match(md, /\| `payments` \| `spiffe:\/\/cluster\.local\/ns\/default\/sa\/payments` \| STRICT \|/);
      assert.match(md, /filter_chain_not_found/);
    },
  },
  {
    file: 'strict-mtls-refuses-a-plaintext-caller--in-permissive-mode.yaml',
    duration: '5s',
    sideBySide: true,
    code: 1,
    failing: ['requests(payments) == 0', 'handshake_errors(payments) > 0', 'success_rate(client) <= 1%'],
    check: (r) => assert.ok(!r.events.some((e) => e.type === 'handshake-failed')),
  },
  {
    file: 'an-authorization-policy-keeps-payments-private.yaml',
    duration: '5s',
    code: 0,
    failing: [],
    check: (r, md, html) => {
      const denied = r.events.filter((e) => e.type === 'authorization-denied');
      assert.ok(denied.length > 0);
      for (const e of denied) {
        assert.equal(e.data.source, 'spiffe://cluster.local/ns/default/sa/catalog');
        assert.equal(e.data.policy, 'none', 'no ALLOW policy matched catalog');
      }
      assert.match(md, /only-checkout: ALLOW from services checkout to GET\\\|POST/);
      assert.match(md, /\| `catalog -> payments` \| \d+ \| 100% \| [1-9]\d* \| 0 \|/);
      assert.match(html, /<section id="security">/);
    },
  },
  {
    file: 'an-authorization-policy-keeps-payments-private--without-authorization.yaml',
    duration: '5s',
    code: 1,
    failing: ['denied(catalog -> payments) > 0'],
    check: (r) => assert.ok(!r.events.some((e) => e.type === 'authorization-denied')),
  },
  {
    file: 'certificate-rotation-without-a-failed-request.yaml',
    code: 0,
    failing: [],
    check: (r) => {
      const bundles = r.events.filter((e) => e.type === 'trust-bundle-changed');
      assert.ok(bundles.some((e) => e.type === 'trust-bundle-changed' && e.data.roots.length === 2), 'an overlap: two roots trusted at once');
      assert.ok(r.events.filter((e) => e.type === 'certificate-rotated').length >= 4, 'every certificate reissued');
    },
  },
  {
    file: 'certificate-rotation-without-a-failed-request--without-overlap.yaml',
    code: 1,
    failing: ['success_rate(client) == 100%'],
    // Without an overlap, the edge whose two ends first sit on different roots breaks: front -> payments
    // when front is reissued before the payments replicas, ingress -> front when the ingress is
    // (then front's calls never happen). Both were seen; the client's success fails either way.
    mayFail: ['handshake_errors(front -> payments) == 0', 'handshake_errors(payments) == 0', 'mtls(front -> payments) == 100%'],
    check: (r) => {
      assert.ok(!r.events.some((e) => e.type === 'trust-bundle-changed' && e.data.roots.length === 2), 'no overlap');
      assert.ok(r.events.some((e) => e.type === 'handshake-failed' && e.data.reason === 'CERTIFICATE_VERIFY_FAILED'));
    },
  },
];

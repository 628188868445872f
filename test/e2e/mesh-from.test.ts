// A scenario whose policies come from Istio manifests (mesh.from) runs end to end: the warnings are
// printed before the run and kept in the report, and the verdict is the mesh's as configured.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-mesh-from-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('mesh.from: bookinfo with its Istio configuration runs and passes (exit 0), warnings first and in the report', { timeout: 120_000 }, async () => {
  const reports = join(tmp, 'reports');
  const r = await runCli(['run', 'test/k8s/fixtures/istio-mesh-from.yaml', '--plain', '--reports', reports, '--no-traces'], { timeoutMs: 110_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  // A warning names the manifest line it is about (ISTIO_MUTUAL at reviews.yaml:27 is auto mTLS since issue 13, so no warning there).
  assert.match(r.stderr, /warning: test\/k8s\/fixtures\/istio\/reviews\.yaml:39:7 DestinationRule reviews spec\.subsets\[2\]\.trafficPolicy: not expressible/);
  assert.doesNotMatch(r.stderr, /reviews\.yaml:27:5/);
  assert.match(r.stdout, /✔ held {2}share\(reviews v3\) > 0%/);
  const [folder] = readdirSync(reports);
  const result = JSON.parse(readFileSync(join(reports, folder, 'result.json'), 'utf8')) as RunResult;
  assert.equal(result.scenario.meshImport?.sources['reviews.timeout']?.line, 83);
  assert.ok(result.scenario.meshImport?.warnings.some((w) => /traffic mirroring/.test(w.message)));
  const summary = readFileSync(join(reports, folder, 'summary.md'), 'utf8');
  assert.match(summary, /reviews\.yaml:39:7/);
});

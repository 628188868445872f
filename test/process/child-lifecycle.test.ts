import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { spawnNodeChild, stopChild } from '../../src/process/child-process.ts';
import { codeLayout } from '../../src/util/code-layout.ts';
import { waitFor } from '../../src/util/http-json.ts';

/** Files under Node's compile-cache folder (it keeps one subfolder per Node version and flags). */
function cacheEntries(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

test('a child writes Node’s compile cache once ready, not only at its exit, so the children started after it find it', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'meshproof-compile-cache-'));
  t.onTestFinished(() => rmSync(cache, { recursive: true, force: true }));
  const spec = { name: 'a', replicas: 1, calls: [], concurrency: null, latency: { kind: 'fixed', ms: 0 }, errorRate: 0 };
  const app = await spawnNodeChild({
    name: 'built-in app',
    script: codeLayout.file('sim/builtin/main.ts'),
    env: { NODE_COMPILE_CACHE: cache, MESHPROOF_INSTANCE: 'a-0', MESHPROOF_SERVICE: 'a', MESHPROOF_SERVICE_SPEC: JSON.stringify(spec), PORT: '0' },
    readyTimeoutMs: 20_000,
  });
  t.onTestFinished(() => stopChild(app.child));
  assert.equal(app.ready.type, 'ready');
  // The built-in service loads a dozen of meshproof's modules or more; each gets an entry.
  const entries = await waitFor(() => (cacheEntries(cache) >= 10 ? cacheEntries(cache) : undefined), { timeoutMs: 10_000, describe: () => `${cacheEntries(cache)} compile-cache entries while the child runs, expected ≥ 10` });
  assert.equal(app.child.exitCode, null, 'the child is still running: the entries were not written at its exit');
  assert.ok(entries >= 10);
});

import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileCacheDir } from '../../src/process/child-process.ts';
import { ROOT } from '../helpers/cli.ts';

describe('bin/meshproof.js and the compile cache', () => {
  it("enables the children's compile cache before the CLI's entry loads, so the entry itself comes from it (no TypeScript stripping)", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    delete env.NODE_COMPILE_CACHE;
    const run = () => spawnSync(process.execPath, [join(ROOT, 'bin/meshproof.js'), 'validate', join(ROOT, 'scenarios/quickstart.yaml')], { env, encoding: 'utf8', timeout: 30_000 });
    run(); // fills the cache when it was cold
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    const entry = second.stderr.split('\n').find((l) => l.includes('reading cache from') && l.includes('src/cli.ts'));
    assert.ok(entry, `src/cli.ts read from a compile cache:\n${second.stderr.slice(0, 2000)}`);
    assert.ok(entry.includes(`from ${compileCacheDir()}/`), `from compileCacheDir() (${compileCacheDir()}): ${entry}`);
    assert.match(entry, /success/);
  });
});

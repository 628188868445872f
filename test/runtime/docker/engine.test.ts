import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import Docker from 'dockerode';
import { MeshproofError } from '../../../src/errors.ts';
import { checkEngine, harnessCpuCgroup } from '../../../src/runtime/docker/docker-engine.ts';
import { harnessAlive, LABEL, processStart, runLabels } from '../../../src/runtime/docker/labels.ts';
import { runCli } from '../../helpers/cli.ts';

/** These need no Docker engine: they are about what happens without one, and about labels. */

const NO_ENGINE = 'unix:///nonexistent/meshproof-test-docker.sock';

describe('without a Docker engine', () => {
  test('checkEngine throws MESHPROOF_RUNTIME_UNAVAILABLE saying what to do', async () => {
    const docker = new Docker({ socketPath: '/nonexistent/meshproof-test-docker.sock' });
    await assert.rejects(checkEngine(docker, 2000), (err: unknown) => {
      assert.ok(err instanceof MeshproofError);
      assert.equal(err.code, 'MESHPROOF_RUNTIME_UNAVAILABLE');
      assert.match(err.message, /apt-get install -y docker\.io/);
      assert.match(err.message, /dockerd/);
      assert.match(err.message, /--runtime local/);
      return true;
    });
  });

  test('meshproof run --runtime docker exits 2 with what to do, before starting anything', { timeout: 60_000 }, async () => {
    const run = await runCli(['run', 'scenarios/quickstart.yaml', '--runtime', 'docker', '--no-report'], { env: { DOCKER_HOST: NO_ENGINE }, timeoutMs: 60_000 });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /the docker runtime needs a running Docker engine/);
    assert.match(run.stderr, /apt-get install -y docker\.io/);
    assert.doesNotMatch(run.stdout, /load:/, 'no load was started');
  });

  test('an unknown runtime is a usage error (exit 2)', { timeout: 60_000 }, async () => {
    const run = await runCli(['run', 'scenarios/quickstart.yaml', '--runtime', 'podman', '--no-report'], { timeoutMs: 60_000 });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--runtime must be local or docker, got "podman"/);
  });
});

describe('harness labels (who owns a run, for the reaper)', () => {
  const here = { host: 'this-host' };
  const labelsOf = (pid: number, start: string, host = 'this-host') => ({ ...runLabels('r1', 's', { pid, start, host }) });

  test('a run whose harness is this very process is alive', () => {
    const start = processStart(process.pid);
    assert.ok(start, '/proc gives this process its start time');
    assert.equal(harnessAlive(labelsOf(process.pid, start), { host: 'this-host' }), true);
  });

  test('a run whose harness pid is gone is dead', () => {
    assert.equal(harnessAlive(labelsOf(4242, '100'), { ...here, isAlive: () => false }), false);
  });

  test('a recycled pid (same number, another start time) is not the harness', () => {
    assert.equal(harnessAlive(labelsOf(4242, '100'), { ...here, isAlive: () => true, startOf: () => '999' }), false);
    assert.equal(harnessAlive(labelsOf(4242, '100'), { ...here, isAlive: () => true, startOf: () => '100' }), true);
  });

  test('a run of another host sharing the engine is never reaped from here', () => {
    assert.equal(harnessAlive(labelsOf(4242, '100', 'other-host'), { ...here, isAlive: () => false }), true);
  });

  test('labels without a harness pid are dead (nothing can own them)', () => {
    assert.equal(harnessAlive({ [LABEL.meshproof]: '1' }, here), false);
  });
});

test("the harness's cgroup of the v1 cpu controller (where the run's containers go with cgroupfs)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-cgroup-'));
  try {
    const file = (text: string) => {
      const p = join(dir, String(Math.random()));
      writeFileSync(p, text);
      return p;
    };
    assert.equal(harnessCpuCgroup(file('5:devices:/\n4:memory:/x/y\n2:cpuacct:/\n1:cpu:/\n0::/\n')), '/');
    assert.equal(harnessCpuCgroup(file('3:cpu,cpuacct:/user.slice/session-2.scope\n1:name=systemd:/user.slice\n')), '/user.slice/session-2.scope');
    assert.equal(harnessCpuCgroup(file('0::/user.slice/user-0.slice\n')), undefined, 'cgroup v2 has no cpu line: Docker decides');
    assert.equal(harnessCpuCgroup(join(dir, 'absent')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

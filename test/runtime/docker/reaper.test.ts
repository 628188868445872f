import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'vitest';
import type Docker from 'dockerode';
import type { RunEvent } from '../../../src/events.ts';
import { planScenario } from '../../../src/plan/plan-scenario.ts';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.ts';
import { currentHarness, LABEL, runLabels } from '../../../src/runtime/docker/labels.ts';
import { reapLeftovers, removeContainer, removeNetwork } from '../../../src/runtime/docker/reaper.ts';
import { loadScenario } from '../../../src/scenario/parse-scenario.ts';
import { runCli, type CliRun } from '../../helpers/cli.ts';
import { assertNothingLeft, describeDockerRuns, until } from './helpers.ts';

/**
A run whose harness is stopped (SIGTERM) removes its containers and network before it exits. One
whose harness dies without cleaning up (kill -9) leaves them behind; the next start of the Docker
runtime removes them — and only them: a live run's are kept.
*/

/** A pid no process has any more (a child that was started and killed). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const pid = child.pid!;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return pid;
}

const count = async (docker: Docker, runId: string) => ({
  containers: (await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${runId}`] } })).length,
  networks: (await docker.listNetworks({ filters: { label: [`${LABEL.run}=${runId}`] } })).length,
});

const runs = new Set(['reaper-test-dead', 'reaper-test-live', 'reaper-test-next']);
await describeDockerRuns('stopping and reaping runs', runs, (docker: Docker, image: () => string) => {

  test('reapLeftovers removes the containers and network of a dead harness and keeps those of a live one', { timeout: 60_000 }, async () => {
    const dead = runLabels('reaper-test-dead', 'reaper-test', { pid: await deadPid(), start: '1', host: currentHarness().host });
    const live = runLabels('reaper-test-live', 'reaper-test');
    const made: { containers: string[]; networks: string[] } = { containers: [], networks: [] };
    try {
      for (const labels of [dead, live]) {
        const name = `meshproof-${labels[LABEL.run]}`;
        const net = await docker.createNetwork({ Name: name, Labels: { ...labels, [LABEL.role]: 'network' } });
        made.networks.push(net.id);
        const c = await docker.createContainer({
          Image: image(),
          name,
          Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
          Labels: { ...labels, [LABEL.role]: 'sidecar' },
          HostConfig: { NetworkMode: name, Init: true },
        });
        made.containers.push(c.id);
        await c.start();
      }
      const reaped = await reapLeftovers(docker);
      assert.deepEqual(reaped, { containers: 1, networks: 1 });
      assert.deepEqual(await count(docker, 'reaper-test-dead'), { containers: 0, networks: 0 });
      assert.deepEqual(await count(docker, 'reaper-test-live'), { containers: 1, networks: 1 });
    } finally {
      for (const id of made.containers) await removeContainer(docker, id);
      for (const id of made.networks) await removeNetwork(docker, id);
    }
  });

  /**
  The quickstart on the Docker runtime for 30s (`--json`), `atLoad(child)` called once as its load
  starts. Events are read a whole line at a time (a chunk of stdout may end inside one); the run's
  id joins `runs` for the final leftovers check.
  */
  async function quickstartInterruptedAtLoad(atLoad: (child: ChildProcess) => void): Promise<{ run: CliRun; runId: string; interrupted: boolean }> {
    let runId = '';
    let interrupted = false;
    let pending = '';
    const run = await runCli(['run', 'scenarios/quickstart.yaml', '--runtime', 'docker', '--duration', '30s', '--json', '--no-report'], {
      timeoutMs: 150_000,
      onStdout: (chunk, child) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          const e = JSON.parse(line) as RunEvent;
          if (e.type === 'run-starting') runs.add((runId = e.runId));
          if (e.type === 'load-started' && !interrupted) {
            interrupted = true;
            atLoad(child);
          }
        }
      },
    });
    return { run, runId, interrupted };
  }

  test('SIGTERM during a run: the harness removes its containers and network, then exits 130', { timeout: 180_000 }, async () => {
    const { run, runId, interrupted: signalled } = await quickstartInterruptedAtLoad((child) => child.kill('SIGTERM'));
    assert.ok(signalled, `the load started\n${run.stderr}`);
    assert.equal(run.code, 130, `exit code\n${run.stderr}`);
    await assertNothingLeft(docker, runId);
  });

  test('a run killed with SIGKILL leaves its pods; the next start removes them', { timeout: 180_000 }, async () => {
    // A run that would last 30s, killed as soon as its load starts: its harness cannot clean up.
    const { run, runId } = await quickstartInterruptedAtLoad((child) => child.kill('SIGKILL'));
    assert.equal(run.signal, 'SIGKILL', `the harness was killed during its load\n${run.stderr}`);
    assert.ok(runId);
    const leftBehind = await count(docker, runId);
    assert.equal(leftBehind.networks, 1, 'its network is still there');
    const roles = (await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${runId}`] } })).map((c) => c.Labels[LABEL.role]).sort();
    assert.deepEqual(roles, [...Array(4).fill('app'), ...Array(5).fill('sidecar'), 'span-relay'].sort(), 'its containers are still there (4 pods of 2, the ingress, the span relay)');

    // The next start: a small scenario on the Docker runtime, in this process.
    const scenario = await loadScenario('test/runtime/docker/fixtures/slow-link-and-crash.yaml');
    const topology = await new DockerRuntime({ docker }).start(planScenario(scenario, 'reaper-test-next'), {});
    try {
      assert.deepEqual(await count(docker, runId), { containers: 0, networks: 0 }, 'the crashed run was reaped before the new one started');
      assert.ok((await count(docker, 'reaper-test-next')).containers > 0);
    } finally {
      await topology.stop();
    }
    await until(async () => (await count(docker, 'reaper-test-next')).containers === 0, 20_000, 'the new run is stopped');
    await assertNothingLeft(docker, runId);
  });
});

import assert from 'node:assert/strict';
import { test } from 'vitest';
import type Docker from 'dockerode';
import type { RunEvent } from '../../../src/events.ts';
import type { RunResult } from '../../../src/report/run-result.ts';
import { LABEL } from '../../../src/runtime/docker/labels.ts';
import { processesOfRun, runCli } from '../../helpers/cli.ts';
import { assertDocumentedVerdicts } from '../../helpers/documented-verdicts.ts';
import { assertNothingLeft, describeDockerRuns } from './helpers.ts';

/**
Scenarios run for real by the CLI on the Docker runtime: two shipped ones, one with a process fault
(an app container killed and started again) and one with a wire fault (a toxic through the fault
engine's container); and a fixture with both, which also runs on the local runtime to check that
the verdicts agree. Their expectations are about success rates and traffic, not tight latencies:
they check the runtime, and must hold on a busy 2-core machine — or, when the machine is too busy
for the harness to judge (a load that fell behind), be inconclusive with reasons, never the opposite.
*/

const FIXTURE = 'test/runtime/docker/fixtures/slow-link-and-crash.yaml';
const EDGES = 'test/runtime/docker/fixtures/edges.yaml';
/** Every run this file starts, checked at the end. */
const runs = new Set<string>();

interface JsonRun {
  code: number | null;
  events: RunEvent[];
  result: RunResult;
  context: string;
}

/** `meshproof run … --json --no-report`: the events and the result; `onEvent` sees each event as it comes. */
async function runJson(args: string[], onEvent?: (e: RunEvent) => void): Promise<JsonRun> {
  const events: RunEvent[] = [];
  let result: RunResult | null = null;
  let pending = '';
  const run = await runCli(['run', ...args, '--json', '--no-report'], {
    timeoutMs: 150_000,
    onStdout: (chunk) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const msg = JSON.parse(line) as RunEvent | { type: 'result'; result: RunResult };
        if (msg.type === 'result') result = (msg as { result: RunResult }).result;
        else {
          if (msg.type === 'run-starting') runs.add(msg.runId);
          events.push(msg as RunEvent);
          onEvent?.(msg as RunEvent);
        }
      }
    },
  });
  const context = `\n--- stderr ---\n${run.stderr.slice(-4000)}`;
  assert.ok(result, `a result was printed${context}`);
  return { code: run.code, events, result, context };
}

function verdictsOf(result: RunResult): Record<string, string> {
  return Object.fromEntries(result.verdicts.map((v) => [v.expectation.text, v.status]));
}

await describeDockerRuns('scenarios on the Docker runtime', runs, (docker: Docker) => {

  test('failover-when-an-instance-is-killed.yaml: pods of two containers on the run network, ports on 127.0.0.1 only; the kill is a docker kill of the app container, and every expectation holds', { timeout: 180_000 }, async () => {
    let seen: Promise<Docker.ContainerInfo[]> | null = null;
    let runId = '';
    // Full length, as in the local end-to-end tests: the restarted app needs time to take traffic again.
    const run = await runJson(['scenarios/failover-when-an-instance-is-killed.yaml', '--runtime', 'docker'], (e) => {
      if (e.type === 'run-starting') runId = e.runId;
      // Looked at while the load runs: what the run is made of in Docker.
      if (e.type === 'load-started') seen = docker.listContainers({ filters: { label: [`${LABEL.run}=${runId}`] } });
    });
    assert.equal(run.result.runtime, 'docker');
    assert.equal(run.result.error, null);
    assert.ok(run.result.verdicts.length > 0);
    assertDocumentedVerdicts(run.code, run.result, { code: 0 }, run.context);
    const crash = run.events.find((e) => e.type === 'fault-started' && e.fault === 'p0-crash') as Extract<RunEvent, { type: 'fault-started' }> | undefined;
    assert.match(crash?.detail ?? '', /SIGKILL sent to the app container of payments-0 \(docker kill [0-9a-f]{12}\)/);

    assert.ok(seen, 'the load started');
    const containers = await (seen as Promise<Docker.ContainerInfo[]>);
    const roles = (role: string) => containers.filter((c) => c.Labels[LABEL.role] === role);
    const pods = run.events.filter((e) => e.type === 'instance-up').map((e) => (e as Extract<RunEvent, { type: 'instance-up' }>).instance);
    assert.deepEqual([...pods].sort(), ['checkout-0', 'gateway-0', 'payments-0', 'payments-1', 'payments-2']);
    assert.deepEqual(roles('app').map((c) => c.Labels[LABEL.instance]).sort(), pods.sort());
    assert.deepEqual(roles('sidecar').map((c) => c.Labels[LABEL.instance]).sort(), [...pods, 'ingress'].sort());
    assert.equal(roles('fault-engine').length, 0, 'no fault engine without wire faults');
    for (const app of roles('app')) {
      const sidecar = roles('sidecar').find((s) => s.Labels[LABEL.instance] === app.Labels[LABEL.instance])!;
      assert.equal(app.HostConfig.NetworkMode, `container:${sidecar.Id}`, `the app of ${app.Labels[LABEL.instance]} shares its sidecar's network namespace`);
      assert.deepEqual(app.Ports, [], 'an app container publishes nothing');
    }
    for (const s of roles('sidecar')) {
      assert.deepEqual(Object.keys(s.NetworkSettings.Networks), [`meshproof-${runId}`], 'sidecars are on the run network only');
      assert.ok(s.Ports.length >= 2, 'admin and agent are published');
      for (const p of s.Ports) assert.equal(p.IP, '127.0.0.1', `published on 127.0.0.1 only: ${JSON.stringify(p)}`);
    }
    await assertNothingLeft(docker, runId);
    assert.deepEqual(processesOfRun(runId), []);
  });

  test('reset-peer-absorbed-by-retry-on-reset.yaml: a toxic through the fault engine container; every expectation holds', { timeout: 180_000 }, async () => {
    let engines: Promise<Docker.ContainerInfo[]> | null = null;
    let runId = '';
    const run = await runJson(['scenarios/reset-peer-absorbed-by-retry-on-reset.yaml', '--runtime', 'docker', '--duration', '6s'], (e) => {
      if (e.type === 'run-starting') runId = e.runId;
      if (e.type === 'load-started') engines = docker.listContainers({ filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=fault-engine`] } });
    });
    assertDocumentedVerdicts(run.code, run.result, { code: 0 }, run.context);
    assert.equal(run.result.runtime, 'docker');
    const resets = run.events.find((e) => e.type === 'fault-started' && e.fault === 'resets') as Extract<RunEvent, { type: 'fault-started' }> | undefined;
    assert.match(resets?.detail ?? '', /reset_peer toxic \(downstream, timeout=0\) on 1 link\(s\): front-0→store-1/);
    assert.ok(engines, 'the load started');
    const [engine] = await (engines as Promise<Docker.ContainerInfo[]>);
    assert.ok(engine, 'the fault engine ran in its own container');
    for (const p of engine.Ports) assert.equal(p.IP, '127.0.0.1', `its API is published on 127.0.0.1 only: ${JSON.stringify(p)}`);
    await assertNothingLeft(docker, run.result.runId);
  });

  test('the shipped gateway pair on Docker: two gateway replicas survive a crash (exit 0), one does not (exit 1); a gateway pod is a holder and a proxy container in its namespace', { timeout: 300_000 }, async () => {
    let seen: Promise<Docker.ContainerInfo[]> | null = null;
    let runId = '';
    const two = await runJson(['scenarios/two-gateway-replicas-survive-a-crash.yaml', '--runtime', 'docker'], (e) => {
      if (e.type === 'run-starting') runId = e.runId;
      if (e.type === 'load-started') seen = docker.listContainers({ filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.instance}=edge-0`] } });
    });
    assertDocumentedVerdicts(two.code, two.result, { code: 0 }, two.context);
    const crash = two.events.find((e) => e.type === 'fault-started' && e.fault === 'edge-crash') as Extract<RunEvent, { type: 'fault-started' }> | undefined;
    assert.match(crash?.detail ?? '', /SIGKILL sent to the proxy container of gateway edge-0 \(docker kill [0-9a-f]{12}\)/);
    const containers = await (seen as unknown as Promise<Docker.ContainerInfo[]>);
    const holder = containers.find((c) => c.Labels[LABEL.role] === 'sidecar');
    const proxy = containers.find((c) => c.Labels[LABEL.role] === 'app');
    assert.ok(holder && proxy, `edge-0 is two containers: ${containers.map((c) => c.Labels[LABEL.role]).join(', ')}`);
    assert.equal(proxy.HostConfig.NetworkMode, `container:${holder.Id}`, "the gateway's proxy runs in its holder's namespace");
    for (const p of holder.Ports) assert.equal(p.IP, '127.0.0.1', `published on 127.0.0.1 only: ${JSON.stringify(p)}`);
    await assertNothingLeft(docker, two.result.runId);

    const one = await runJson(['scenarios/two-gateway-replicas-survive-a-crash--with-one-replica.yaml', '--runtime', 'docker']);
    assert.equal(one.result.error, null, one.context);
    assertDocumentedVerdicts(one.code, one.result, {
      code: 1,
      failing: ['success_rate(client) >= 99%', 'success_rate(client) >= 99% during edge-crash', 'requests(client -> edge-0) == 0 during edge-crash from +2s', 'rps(edge -> checkout) >= 80/s during edge-crash from +2s'],
    }, one.context);
    await assertNothingLeft(docker, one.result.runId);
  });

  test('the edges on Docker and locally: a TLS gateway whose replica is killed and started again, the egress gateway with a toxic on its way out, a passthrough host; the same verdicts', { timeout: 300_000 }, async () => {
    const onDocker = await runJson([EDGES]);
    assert.equal(onDocker.result.error, null, onDocker.context);
    assert.equal(onDocker.result.runtime, 'docker');
    await assertNothingLeft(docker, onDocker.result.runId);
    const onLocal = await runJson([EDGES, '--runtime', 'local']);
    assert.equal(onLocal.result.error, null, onLocal.context);
    // The same verdicts on both: each its documented one (all held but the p99 bound no run can
    // meet), or inconclusive on a busy machine, never the opposite.
    assert.deepEqual(Object.keys(verdictsOf(onLocal.result)), Object.keys(verdictsOf(onDocker.result)));
    assert.ok(Object.keys(verdictsOf(onDocker.result)).includes('p99(client) < 1ms'));
    for (const r of [onDocker, onLocal]) assertDocumentedVerdicts(r.code, r.result, { code: 1, failing: ['p99(client) < 1ms'] }, `${r.result.runtime}${r.context}`);
    // Only through the egress gateway: checkout's sidecar never dialed card-api itself, on either runtime.
    for (const r of [onDocker, onLocal]) assert.equal(r.result.timeline.series['upstream:checkout->card-api-0'], undefined, r.result.runtime);
  });

  test('a toxic and a kill + restart: container operations on Docker (runtime: docker), and the same verdicts on the local runtime (--runtime local)', { timeout: 300_000 }, async () => {
    // The fixture says `runtime: docker`; `--runtime local` overrides it for the second run.
    const onDocker = await runJson([FIXTURE]);
    assert.equal(onDocker.result.error, null, onDocker.context);
    assert.equal(onDocker.result.runtime, 'docker');
    await assertNothingLeft(docker, onDocker.result.runId);

    const started = (name: string) => onDocker.events.find((e) => e.type === 'fault-started' && e.fault === name) as Extract<RunEvent, { type: 'fault-started' }> | undefined;
    const ended = (name: string) => onDocker.events.find((e) => e.type === 'fault-ended' && e.fault === name) as Extract<RunEvent, { type: 'fault-ended' }> | undefined;
    assert.match(started('slow-link')?.detail ?? '', /latency toxic .*checkout-0→payments-0/, 'the toxic went on the link through the fault engine');
    assert.ok(ended('slow-link'), 'the toxic was removed');
    assert.match(started('crash')?.detail ?? '', /SIGKILL sent to the app container of payments-1 \(docker kill [0-9a-f]{12}\)/);
    assert.match(ended('crash')?.detail ?? '', /payments-1 was started again/);
    const states = onDocker.events.filter((e): e is Extract<RunEvent, { type: 'instance-state' }> => e.type === 'instance-state' && e.instance === 'payments-1').map((e) => e.state);
    assert.ok(states.indexOf('killed') >= 0 && states.lastIndexOf('healthy') > states.indexOf('killed'), `payments-1 was killed, then healthy again: ${states.join(' → ')}`);

    const onLocal = await runJson([FIXTURE, '--runtime', 'local']);
    assert.equal(onLocal.result.error, null, onLocal.context);
    assert.equal(onLocal.result.runtime, 'local');
    // The same verdicts on both: each its documented one, or inconclusive on a busy machine, never the opposite.
    for (const r of [onDocker, onLocal]) {
      assert.deepEqual(Object.keys(verdictsOf(r.result)), ['success_rate(client) >= 90%', 'requests(payments-1) > 0', 'p99(client) < 80ms'], r.result.runtime);
      assertDocumentedVerdicts(r.code, r.result, { code: 1, failing: ['p99(client) < 80ms'] }, `${r.result.runtime}${r.context}`);
    }
    // Traces on both: on Docker the sidecars export to the run's span relay container, drained into the harness.
    for (const r of [onDocker, onLocal]) {
      const t = r.result.traces;
      assert.ok(t && t.traces >= 0.95 * r.result.load.requests, `${r.result.runtime}: every request traced (${t?.traces} traces for ${r.result.load.requests} requests)`);
      assert.ok(t.spans >= 5 * t.traces, `${r.result.runtime}: traces span the pods (${t.spans} spans)`);
      assert.deepEqual(t.loss.sidecarExportFailed, {}, `${r.result.runtime}: no export failed`);
    }
  });

  // The twin with local limits (three times through) is the sidecars' own token buckets, the same code on both runtimes: shipped-scenarios.test.ts runs it.
  test('global quotas on Docker: the rate-limit service container holds one quota for three replicas; killed with failureMode deny, requests are refused 500 RLSE until it is back', { timeout: 300_000 }, async () => {
    const shared = await runJson(['scenarios/a-global-quota-holds-across-replicas.yaml', '--runtime', 'docker']);
    assert.equal(shared.result.error, null, shared.context);
    assert.equal(shared.result.verdicts.length, 3);
    assertDocumentedVerdicts(shared.code, shared.result, { code: 0 }, shared.context);
    await assertNothingLeft(docker, shared.result.runId);

    const killed = await runJson(['test/runtime/docker/fixtures/quota-service-killed.yaml']);
    assert.equal(killed.result.error, null, killed.context);
    const started = killed.events.find((e) => e.type === 'fault-started' && e.fault === 'rls-down') as Extract<RunEvent, { type: 'fault-started' }> | undefined;
    assert.match(started?.detail ?? '', /SIGKILL sent to the rate-limit service's container \(docker kill [0-9a-f]{12}\)/);
    assert.equal(killed.result.verdicts.length, 3);
    assertDocumentedVerdicts(killed.code, killed.result, { code: 0 }, killed.context);
    await assertNothingLeft(docker, killed.result.runId);
  });
});

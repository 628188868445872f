import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runScenario } from '../../../src/engine/run-scenario.ts';
import { processesOfRun } from '../../../src/process/run-processes.ts';
import { LocalRuntime } from '../../../src/runtime/local/local-runtime.ts';
import { planPodHosting, podHostingSuggestion } from '../../../src/runtime/local/pod-hosting.ts';
import { ControlPlane } from '../../../src/sim/control-plane/control-plane.ts';
import { loadScenario } from '../../../src/scenario/parse-scenario.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { FIXTURES, NODE, planFrom, processesWith, scenarioWith, tempDir } from './helpers.ts';

const SERVICES = `  front: { calls: [store] }
  store: { replicas: 3 }
  own:
    command: [${JSON.stringify(NODE)}, app.mjs]
    env: { MODE: listen-late, DELAY_MS: 0 }`;
const FAULT = `faults:\n  - { name: crash, at: 1s, target: store-1, process: kill }\n`;

/** The command line of a pid (the script a Node child runs), '' once it is gone. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('which pods a plan hosts', () => {
  test('every built-in pod but the targets of process faults, round robin over the hosts; users\' programs never', () => {
    const plan = planFrom(scenarioWith(SERVICES) + FAULT);
    const h = planPodHosting(plan, 2);
    expect([...h.ownProcess]).toEqual(['store-1']);
    expect(Object.fromEntries(h.hostOf)).toEqual({ 'front-0': 0, 'store-0': 1, 'store-2': 0 });
    expect(planPodHosting(plan, 10).hosts).toBe(3);
    expect(() => planPodHosting(plan, 0)).toThrow(/whole number of hosts ≥ 1, got 0/);
  });
});

test('a local run of 30 pods or more that did not choose is told about pod hosting; one that chose, or is smaller, is not', () => {
  const services = (replicas: number[]) => replicas.map((r, i) => ({ replicas: r, name: `s${i}` })) as unknown as Parameters<typeof podHostingSuggestion>[0]['services'];
  const big = { name: 'big', services: services([10, 10, 10]) };
  expect(podHostingSuggestion(big, undefined)).toMatch(/^big: 30 pods start as 60 Node processes .*--host-pods/);
  expect(podHostingSuggestion(big, false)).toBeNull();
  expect(podHostingSuggestion(big, true)).toBeNull();
  expect(podHostingSuggestion({ name: 'small', services: services([10, 10, 9]) }, undefined)).toBeNull();
});

describe('a hosted topology', () => {
  test('few processes; the fault target is a process of its own; each hosted sidecar takes its config push; nothing is left after stop', async () => {
    const plan = planFrom(scenarioWith(SERVICES) + FAULT);
    const topology = await new LocalRuntime({ stateDir: tempDir('meshproof-state-'), hostPods: true, podHosts: 2 }).start(plan, {});
    onTestFinished(async () => void (await topology.stop()));
    const run = `MESHPROOF_RUN_ID=${plan.runId}`;
    const hosts = processesOfRun(plan.runId).filter((pid) => cmdline(pid).includes('sim/host/main.ts'));
    expect(hosts).toHaveLength(2);
    // The ingress's sidecar, store-1's sidecar and app, own's sidecar, supervisor and program, and the two hosts.
    expect(processesWith(run, 'MESHPROOF_INSTANCE=store-1').map((p) => cmdline(p.pid))).toEqual(expect.arrayContaining([expect.stringContaining('sim/builtin/main.ts'), expect.stringContaining('sim/sidecar/main.ts')]));
    expect(processesWith(run, 'MESHPROOF_INSTANCE=store-0')).toEqual([]);
    expect(processesOfRun(plan.runId).length).toBeLessThanOrEqual(8);
    // Every pod has sidecar ports of its own, hosted or not.
    const ports = topology.pods.flatMap((p) => [p.inbound.port, p.outbound.port, p.adminUrl]);
    expect(new Set(ports).size).toBe(ports.length);

    const cp = new ControlPlane(plan, topology.pods, topology.ingress, { credential: topology.credential, pushTimeoutMs: 10_000 });
    cp.setT0(Date.now());
    await cp.push();
    for (const pod of topology.pods) {
      const ready = await fetch(`${pod.adminUrl}/ready`);
      expect([pod.instance, ready.status]).toEqual([pod.instance, 200]);
    }
    // A push without the run's credential is refused by a hosted sidecar as by any.
    const store0 = topology.pods.find((p) => p.instance === 'store-0')!;
    expect((await fetch(`${store0.adminUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    // Through the ingress to front (hosted) and on to the stores, hosted and not.
    const ingress = topology.ingress.upstreams!.front;
    for (let i = 0; i < 6; i++) expect((await fetch(`http://${ingress.host}:${ingress.port}/`, { headers: { host: 'front' } })).status).toBe(200);

    await expect(topology.processes.kill('store-0')).rejects.toThrow(/runs in pod host \d with other pods/);
    expect(await topology.processes.kill('store-1')).toMatch(/^SIGKILL sent to the app of store-1 \(pid \d+\)/);

    await topology.stop();
    expect(processesOfRun(plan.runId)).toEqual([]);
    for (const pid of hosts) expect(cmdline(pid)).toBe('');
  }, 30_000);

  test("a pod host that dies is reported as the exit of every pod it held", async () => {
    const plan = planFrom(scenarioWith(`  front: { calls: [store] }\n  store: { replicas: 2 }`));
    const topology = await new LocalRuntime({ stateDir: tempDir('meshproof-state-'), hostPods: true, podHosts: 1 }).start(plan, {});
    onTestFinished(async () => void (await topology.stop()));
    const exits: string[] = [];
    topology.onUnexpectedExit((instance, role, _code, signal) => exits.push(`${instance} ${role} ${signal}`));
    const [host] = processesOfRun(plan.runId).filter((pid) => cmdline(pid).includes('sim/host/main.ts'));
    process.kill(host, 'SIGKILL');
    await waitFor(() => exits.length === 3 || undefined, { timeoutMs: 5000, describe: () => `three exits (so far: ${exits.join(', ')})` });
    expect(exits.sort()).toEqual(['front-0 app SIGKILL', 'store-0 app SIGKILL', 'store-1 app SIGKILL']);
  }, 30_000);

  test('a SIGKILLed harness takes its pod hosts with it', async () => {
    const harness = spawn(NODE, [join(FIXTURES, 'hosted-harness.ts'), tempDir('meshproof-state-')], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void harness.kill('SIGKILL'));
    let out = '';
    harness.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const line = await waitFor(() => (out.includes('\n') ? out.slice(0, out.indexOf('\n')) : undefined), { timeoutMs: 20_000, describe: () => `the harness's ready line (so far: ${out})` });
    const { runId } = JSON.parse(line) as { runId: string };
    onTestFinished(() => {
      for (const pid of processesOfRun(runId)) process.kill(pid, 'SIGKILL');
    });
    expect(processesOfRun(runId).filter((pid) => cmdline(pid).includes('sim/host/main.ts'))).toHaveLength(2);
    harness.kill('SIGKILL');
    await waitFor(() => processesOfRun(runId).length === 0 || undefined, { timeoutMs: 10_000, describe: () => `no process of run ${runId} (left: ${processesOfRun(runId).map(cmdline).join('; ')})` });
  }, 30_000);
});

test('a shipped scenario with a kill fault, hosted, gives its documented verdict; the killed app was a process of its own', async () => {
  const scenario = await loadScenario(join(import.meta.dirname, '../../../scenarios/failover-when-an-instance-is-killed.yaml'));
  const outcome = await runScenario(scenario, { runtime: new LocalRuntime({ stateDir: tempDir('meshproof-state-'), hostPods: true }), reportsDir: tempDir('meshproof-reports-') });
  const r = outcome.result;
  expect(r.error).toBeNull();
  // Held; or, on a machine other work keeps busy, inconclusive (the harness's own promises, such as
  // the load's rate, broken) with the measurement alone holding: the mesh's verdict is what is tested.
  const verdict = (v: (typeof r.verdicts)[number]) => (v.status === 'inconclusive' ? v.inconclusive?.wouldBe : v.status);
  expect(r.verdicts.map((v) => [v.expectation.text, verdict(v), v.explanation])).toEqual(r.verdicts.map((v) => [v.expectation.text, 'held', v.explanation]));
  expect(r.faults.map((f) => f.detail)).toEqual([expect.stringMatching(/^SIGKILL sent to the app of payments-0 \(pid \d+\)/)]);
}, 60_000);

import assert from 'node:assert/strict';
import { test } from 'vitest';
import { FaultRunner } from '../../../src/chaos/schedule/fault-runner.ts';
import type { MeshControl } from '../../../src/contract/mesh-control.ts';
import type { ProcessControl } from '../../../src/contract/process-control.ts';
import type { TopologyEvent } from '../../../src/contract/topology-event.ts';
import type { Fault } from '../../../src/scenario/scenario.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { makeScenario } from '../../verdict/helpers.ts';

/**
A runtime whose operations take a while, on a clock the test moves: each operation advances the
clock by `lagMs` before it resolves, as a signal or a push acknowledged late on a loaded machine does.
*/
function slowTopology(clock: { ms: number }, lagMs: number): { pods: []; processes: ProcessControl } {
  const later = async <T>(value: T): Promise<T> => {
    clock.ms += lagMs;
    return value;
  };
  const processes: ProcessControl = {
    kill: (i) => later(`SIGKILL sent to ${i}`),
    pause: (i) => later(`SIGSTOP sent to ${i}`),
    resume: (i) => later(`SIGCONT sent to ${i}`),
    start: () => later(4242),
  };
  return { pods: [], processes };
}

function slowControlPlane(clock: { ms: number }, lagMs: number): MeshControl {
  const push = async () => {
    clock.ms += lagMs;
    return 1;
  };
  const noCa = async (): Promise<string> => {
    throw new Error('these faults need no certificate authority');
  };
  return { push, setInboundFault() {}, setOutboundFault() {}, setAppPort() {}, setHealthy() {}, setProxyRunning() {}, setMtlsMode() {}, setClockSkew() {}, expireCertificate: noCa, startRootRotation: noCa, endRootRotation: noCa };
}

const kill: Fault = {
  name: 'crash',
  atMs: 0,
  forMs: null,
  target: { kind: 'instance', service: 'store', instance: 'store-1' },
  action: { kind: 'process', action: 'kill', restartAfterMs: 500 },
  line: 1,
  col: 1,
};
const errors: Fault = {
  name: 'errors',
  atMs: 0,
  forMs: 300,
  target: { kind: 'instance', service: 'store', instance: 'store-1' },
  action: { kind: 'http', at: 'inbound', fault: { delay: null, abort: { status: 503, percent: 1 } } },
  line: 2,
  col: 1,
};

test('a fault is recorded from when its step began, not when a slow acknowledgement came back', async () => {
  const clock = { ms: 1_000_000 };
  const events: TopologyEvent[] = [];
  const runner = new FaultRunner({
    scenario: makeScenario({ faults: [errors] }),
    t0: clock.ms,
    now: () => clock.ms,
    controlPlane: slowControlPlane(clock, 700),
    topology: slowTopology(clock, 0),
    emit: (e) => events.push(e),
    endpointRemovalDelayMs: 60_000,
  });
  runner.start();
  await waitFor(() => (runner.faults()[0].startedMs !== null ? true : undefined), { timeoutMs: 2000, describe: () => 'the fault to start' });
  await runner.stop();
  // The push took 700ms of the clock; the first sidecar had it at once.
  assert.equal(runner.faults()[0].startedMs, 0);
  const started = events.find((e) => e.type === 'fault-started');
  assert.equal(started?.at, 1_000_000);
});

test('a killed app comes back: the fault ends when it is back in the endpoints, after a slow start', async () => {
  const clock = { ms: 2_000_000 };
  const runner = new FaultRunner({
    scenario: makeScenario({ faults: [kill] }),
    t0: clock.ms,
    now: () => clock.ms,
    controlPlane: slowControlPlane(clock, 0),
    topology: slowTopology(clock, 400),
    emit: () => {},
    endpointRemovalDelayMs: 60_000,
  });
  runner.start();
  await waitFor(() => (runner.faults()[0].startedMs !== null ? true : undefined), { timeoutMs: 2000, describe: () => 'the kill' });
  // The kill signal was sent at 0, though it took 400ms of the clock to confirm.
  assert.equal(runner.faults()[0].startedMs, 0);
  await waitFor(() => (runner.faults()[0].endedMs !== null ? true : undefined), { timeoutMs: 3000, describe: () => 'the restart' });
  await runner.stop();
  const r = runner.faults()[0];
  // The kill's confirmation moved the clock to 400ms, so the restart began there and took 400ms more.
  assert.equal(r.endedMs, 800, 'ended when the app was back in the endpoints, not when its start began');
  assert.deepEqual(runner.states().map((s) => s.state), ['killed', 'healthy']);
});

test('a step never begins before its time, even when its timer fires ahead of the clock', async () => {
  // This clock never moves: the timer fires (after 50ms of real time) while the clock still says 0.
  const clock = { ms: 3_000_000 };
  const runner = new FaultRunner({
    scenario: makeScenario({ faults: [{ ...errors, atMs: 50, forMs: 50 }] }),
    t0: clock.ms,
    now: () => clock.ms,
    controlPlane: slowControlPlane(clock, 0),
    topology: slowTopology(clock, 0),
    emit: () => {},
    endpointRemovalDelayMs: 60_000,
  });
  runner.start();
  await waitFor(() => (runner.faults()[0].endedMs !== null ? true : undefined), { timeoutMs: 2000, describe: () => 'the fault to end' });
  await runner.stop();
  assert.equal(runner.faults()[0].startedMs, 50);
  assert.equal(runner.faults()[0].endedMs, 100);
});

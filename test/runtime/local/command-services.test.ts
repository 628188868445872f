import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MeshproofError } from '../../../src/errors.ts';
import { pidAlive } from '../../../src/process/pid-alive.ts';
import { processesOfRun } from '../../../src/process/run-processes.ts';
import { LocalRuntime } from '../../../src/runtime/local/local-runtime.ts';
import { ControlPlane } from '../../../src/sim/control-plane/control-plane.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { send } from '../../sim/helpers/http.ts';
import { FIXTURES, NODE, planFrom, programProcesses, scenarioWith, startLocal, stateOf, tempDir } from './helpers.ts';

/**
Users' own programs (`command:`) on the local runtime, for real: readiness of each kind, start-up
failures, the environment meshproof sets and the three ways to reach a callee, process faults on the
whole process group, and nothing left behind.
*/

const APP = join(FIXTURES, 'app.mjs');

/** A user program as a service: node app.mjs in a mode, with its readiness. */
function appService(name: string, mode: string, delayMs: number, ready = '', extra = ''): string {
  return `  ${name}:\n    command: [${JSON.stringify(NODE)}, app.mjs]\n    env: { MODE: ${mode}, DELAY_MS: ${delayMs} }\n${ready ? `    ready: ${ready}\n` : ''}${extra}`;
}

async function startFailure(plan: ReturnType<typeof planFrom>, logsDir: string | null = null): Promise<MeshproofError> {
  const runtime = new LocalRuntime({ stateDir: tempDir('meshproof-state-') });
  const err = await runtime.start(plan, { logsDir }).then(
    () => assert.fail('the start should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MeshproofError, String(err));
  return err;
}

describe('readiness gates the start, for each kind', () => {
  // Each program is only warm DELAY_MS after it starts: a start that did not wait would find it cold (or not listening).
  test('tcp (the default): start resolves once $PORT accepts, not before', async () => {
    const plan = planFrom(scenarioWith(appService('front', 'listen-late', 700)));
    const { topology } = await startLocal(plan);
    const r = await send(topology.pods[0].appPort!, { path: '/' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok front-0');
  }, 60_000);

  test('http: start resolves once GET /healthz answers 2xx (503 until then)', async () => {
    const plan = planFrom(scenarioWith(appService('front', 'health', 700, '{ http: /healthz }')));
    const { topology } = await startLocal(plan);
    expect((await send(topology.pods[0].appPort!, { path: '/' })).status).toBe(200);
  }, 60_000);

  test('log: start resolves once a line of its output matches', async () => {
    const plan = planFrom(scenarioWith(appService('front', 'log', 700, '{ log: "warmed\\\\s+up" }')));
    const { topology } = await startLocal(plan);
    expect((await send(topology.pods[0].appPort!, { path: '/' })).status).toBe(200);
  }, 60_000);
});

describe('a program that does not start stops the run before the load, with its command and output, and leaves nothing', () => {
  test('it exits at start: exit code, command, the last 20 lines of its output, and its log file', async () => {
    const logs = tempDir('meshproof-logs-');
    // stderr first, and a pause: two pipes give no order between them otherwise.
    const crash = `echo starting; echo "Traceback: boom" >&2; sleep 0.2; for i in $(seq 1 30); do echo line $i; done; exit 3`;
    const plan = planFrom(scenarioWith(`  front:\n    command: '${crash}'\n    calls: [store]\n  store: { replicas: 2 }`));
    const err = await startFailure(plan, logs);
    expect(err.code).toBe('MESHPROOF_RUNTIME_START_FAILED');
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('front-0 (service front) did not start: it exited (exit code 3) before it was ready');
    expect(lines[1]).toBe(`  command: ${crash}`);
    expect(lines[2]).toBe(`  in: ${FIXTURES.replace(/\/$/, '')}`);
    expect(lines[3]).toBe(`  the last 20 lines of its output (all of it in ${join(logs, 'front-0.log')}):`);
    expect(lines.slice(4)).toEqual(Array.from({ length: 20 }, (_, i) => `  | line ${i + 11}`));
    const log = readFileSync(join(logs, 'front-0.log'), 'utf8');
    expect(log).toMatch(/Traceback: boom/);
    expect(log).toMatch(/line 1\n[\s\S]*line 30\n/);
    expect(log).toMatch(/--- meshproof .* front-0: exited \(exit code 3\) ---/);
    expect(processesOfRun(plan.runId)).toEqual([]);
  }, 60_000);

  test('it never gets ready: the timeout, what was checked last, and the program is stopped', async () => {
    const plan = planFrom(scenarioWith(appService('front', 'health', 600_000, '{ http: /healthz, timeout: 1500ms }')));
    const started = performance.now();
    const err = await startFailure(plan);
    expect(err.message.split('\n')[0]).toBe(
      'front-0 (service front) did not start: it was not ready within 1.5s (ready: http: GET /healthz answers 2xx; last check: GET /healthz answered 503)',
    );
    expect(err.message).toMatch(/\| app listening on \d+/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(processesOfRun(plan.runId)).toEqual([]);
  }, 60_000);

  test('a log line that never comes, a program that is not there', async () => {
    const never = await startFailure(planFrom(scenarioWith(appService('front', 'listen-late', 0, '{ log: "^never$", timeout: 1s }'))));
    expect(never.message).toMatch(/^front-0 \(service front\) did not start: it was not ready within 1s \(ready: log: a line matches \/\^never\$\/; last check: no line of its output matched yet\)/);
    const missing = await startFailure(planFrom(scenarioWith('  front:\n    command: [no-such-program-meshproof]')));
    expect(missing.message).toMatch(/^front-0 \(service front\) did not start: it could not be run: no-such-program-meshproof was not found/);
    expect(missing.message).toMatch(/it wrote nothing to stdout or stderr/);
  }, 60_000);

  test('one failure stops the starts still under way at once, rather than after their own time-outs', async () => {
    const plan = planFrom(scenarioWith(`${appService('front', 'listen-late', 600_000, '{ tcp: true, timeout: 60s }', '    calls: [store]\n')}  store:\n    command: 'sleep 0.3; echo bye; exit 1'`));
    const started = performance.now();
    const err = await startFailure(plan);
    expect(err.message).toMatch(/^store-0 \(service store\) did not start: it exited \(exit code 1\)/);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(processesOfRun(plan.runId)).toEqual([]);
  }, 60_000);
});

describe('what a program is given, and the ways it reaches the services it calls', () => {
  test('a Node program calls a Python one through PAYMENTS_URL, through MESHPROOF_SIDECAR with the Host header, and through HTTP_PROXY with a proxy-form target', async () => {
    const yaml = scenarioWith(
      [
        '  front:',
        `    command: [${JSON.stringify(NODE)}, front.mjs, "\${MESHPROOF_INSTANCE}", "$$PORT"]`,
        '    env: { GREETING: "port ${PORT} via ${PAYMENTS_URL}" }',
        '    calls: [payments]',
        '  payments:',
        '    replicas: 2',
        '    command: python3 echo.py',
        '    ready: { log: python listening }',
      ].join('\n'),
    );
    const plan = planFrom(yaml);
    const { topology } = await startLocal(plan);
    const cp = new ControlPlane(plan, topology.pods, topology.ingress, { credential: topology.credential });
    cp.setT0(Date.now());
    await cp.push();
    const front = topology.pods.find((p) => p.instance === 'front-0')!;
    const r = await send(front.appPort!, { path: '/' });
    expect(r.status).toBe(200);
    const got = JSON.parse(r.body);
    for (const [way, path] of [['byUrl', '/by-url'], ['byHost', '/by-host'], ['byProxy', '/by-proxy']] as const) {
      expect(got[way].status, `${way}: ${got[way].body}`).toBe(200);
      const answer = JSON.parse(got[way].body);
      expect(answer.lang).toBe('python');
      expect(answer.instance).toMatch(/^payments-[01]$/);
      expect(answer.path).toBe(path);
    }
    const env = got.env;
    expect(env.PORT).toBe(String(front.appPort));
    expect(env.MESHPROOF_INSTANCE).toBe('front-0');
    expect(env.MESHPROOF_SERVICE).toBe('front');
    expect(env.MESHPROOF_SIDECAR).toBe(`127.0.0.1:${front.outbound.port}`);
    expect(env.HTTP_PROXY).toBe(`http://127.0.0.1:${front.outbound.port}`);
    expect(env.http_proxy).toBe(env.HTTP_PROXY);
    expect(env.NO_PROXY).toBe('localhost,127.0.0.1,::1');
    expect(env.PAYMENTS_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.PAYMENTS_URL).not.toBe(`http://${env.MESHPROOF_SIDECAR}`);
    expect(env.GREETING).toBe(`port ${front.appPort} via ${env.PAYMENTS_URL}`);
    expect(got.argv).toEqual(['front-0', '$PORT']);
    expect(got.cwd).toBe(FIXTURES.replace(/\/$/, ''));
    // The run's credential is in nothing the program is given: not its environment, arguments or
    // those of any process of its group (docs/security-model.md).
    expect(JSON.stringify(got)).not.toContain(topology.credential);
    const family = programProcesses(plan.runId, 'front-0', front.appPort!);
    expect(family.length).toBeGreaterThan(0);
    for (const p of family) for (const f of ['environ', 'cmdline']) expect(readFileSync(`/proc/${p.pid}/${f}`, 'utf8')).not.toContain(topology.credential);
    // All three went through front's sidecar, to payments.
    const stats = JSON.parse((await send(Number(new URL(front.adminUrl).port), { path: '/stats' })).body);
    expect(stats.counters['cluster.payments.upstream_rq_200']).toBe(3);
  }, 60_000);
});

describe('process faults reach the whole process group, and teardown leaves nothing', () => {
  test('pause stops every process of the program, resume continues them, kill ends them all, start runs the command again', async () => {
    const logs = tempDir('meshproof-logs-');
    // sh → the app, and a grandchild that ignores SIGTERM: both must be hit by every fault.
    const family = `${JSON.stringify(NODE)} app.mjs & sh -c 'trap "" TERM; while :; do sleep 1; done' & wait`;
    const plan = planFrom(scenarioWith(`  front:\n    command: '${family.replace(/'/g, "''")}'\n    env: { MODE: listen-late, DELAY_MS: 0 }`));
    const { topology } = await startLocal(plan, { logsDir: logs });
    const pod = topology.pods[0];
    const port = pod.appPort!;
    const procs = programProcesses(plan.runId, 'front-0', port);
    expect(procs.length).toBeGreaterThanOrEqual(4); // sh, node, sh (loop), sleep
    const pgid = procs[0].pgid;
    expect(procs.every((p) => p.pgid === pgid)).toBe(true);

    expect(await topology.processes.pause('front-0')).toMatch(/^SIGSTOP sent to the program of front-0 \(process group \d+\)/);
    await waitFor(() => programProcesses(plan.runId, 'front-0', port).every((p) => p.state === 'T') || undefined, { timeoutMs: 5000, describe: () => 'every process stopped' });
    await expect(send(port, { path: '/', timeoutMs: 300 })).rejects.toThrow(/no complete response/);

    await topology.processes.resume('front-0');
    await waitFor(() => programProcesses(plan.runId, 'front-0', port).every((p) => p.state !== 'T') || undefined, { timeoutMs: 5000, describe: () => 'every process running' });
    expect((await send(port, { path: '/' })).status).toBe(200);

    expect(await topology.processes.kill('front-0')).toMatch(/^SIGKILL sent to the program of front-0/);
    await waitFor(() => procs.every((p) => !pidAlive(p.pid) || stateOf(p.pid) === 'Z') || undefined, { timeoutMs: 5000, describe: () => 'every process of the program gone' });
    await expect(send(port, { path: '/', timeoutMs: 1000 })).rejects.toThrow();

    const newPort = await topology.processes.start('front-0');
    expect(pod.appPort).toBe(newPort);
    expect((await send(newPort, { path: '/' })).body).toBe('ok front-0');
    const again = programProcesses(plan.runId, 'front-0', newPort);
    expect(again.length).toBeGreaterThanOrEqual(4);
    expect(again.some((p) => procs.some((q) => q.pid === p.pid))).toBe(false);
    const log = readFileSync(join(logs, 'front-0.log'), 'utf8');
    expect(log.match(/--- meshproof .* front-0: starting /g)).toHaveLength(2);
    expect(log).toMatch(/front-0: exited \(killed by SIGKILL\)/);

    // Teardown: SIGTERM, then SIGKILL for the grandchild that ignores it.
    await topology.stop();
    expect(processesOfRun(plan.runId)).toEqual([]);
  }, 60_000);

  test('a program that exits during the run is reported with its own exit code, and its group goes with it', async () => {
    const plan = planFrom(scenarioWith(`  front:\n    command: '${JSON.stringify(NODE)} app.mjs & sleep 600 & sleep 1.5; exit 7'\n    env: { MODE: listen-late, DELAY_MS: 0 }`));
    const { topology } = await startLocal(plan);
    const exits: unknown[] = [];
    topology.onUnexpectedExit((instance, role, code, signal) => exits.push({ instance, role, code, signal }));
    const procs = programProcesses(plan.runId, 'front-0', topology.pods[0].appPort!);
    await waitFor(() => exits[0], { timeoutMs: 10_000, describe: () => 'the exit report' });
    expect(exits).toEqual([{ instance: 'front-0', role: 'app', code: 7, signal: null }]);
    await waitFor(() => procs.every((p) => !pidAlive(p.pid) || stateOf(p.pid) === 'Z') || undefined, { timeoutMs: 5000, describe: () => 'the app and sleep gone too' });
  }, 60_000);
});

test('logs: each instance of a command service has its own file; a built-in service has none', async () => {
  const logs = tempDir('meshproof-logs-');
  const plan = planFrom(scenarioWith(`${appService('front', 'listen-late', 0, '', '    replicas: 2\n    calls: [store]\n')}  store: {}`));
  const { topology } = await startLocal(plan, { logsDir: logs });
  expect(topology.pods.map((p) => [p.instance, p.logFile ?? null])).toEqual([
    ['front-0', join(logs, 'front-0.log')],
    ['front-1', join(logs, 'front-1.log')],
    ['store-0', null],
  ]);
  for (const i of ['front-0', 'front-1']) expect(readFileSync(join(logs, `${i}.log`), 'utf8')).toMatch(new RegExp(`starting .*app\\.mjs in .* with PORT=\\d+ ---\\napp listening on \\d+`));
  expect(existsSync(join(logs, 'store-0.log'))).toBe(false);
}, 60_000);

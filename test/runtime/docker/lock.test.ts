import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterAll, beforeAll, test } from 'vitest';
import type Docker from 'dockerode';
import { bearerHeader, newRunCredential } from '../../../src/auth/run-credential.ts';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.ts';
import { planScenario } from '../../../src/plan/plan-scenario.ts';
import { CREDENTIAL_PATH } from '../../../src/runtime/docker/credential-archive.ts';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.ts';
import type { DockerRunningPod } from '../../../src/runtime/docker/docker-topology.ts';
import { LABEL } from '../../../src/runtime/docker/labels.ts';
import { FAULT_ENGINE_API_PORT, POD_PORTS, SPAN_RELAY_PORT } from '../../../src/runtime/docker/pod-ports.ts';
import type { StartedTopology } from '../../../src/runtime/runtime.ts';
import type { SidecarConfig } from '../../../src/contract/sidecar-config.ts';
import { TraceReceiver } from '../../../src/trace/receiver.ts';
import { loadScenario } from '../../../src/scenario/parse-scenario.ts';
import { describeDockerRuns } from './helpers.ts';

/**
The Docker runtime's control plane is locked as the local one is: the run's credential reaches the
sidecar, fault engine and span relay containers as a 0400 file owned by their user, is in no
container's configuration (what `docker inspect` shows), and is never in an app's container; every
port published on 127.0.0.1 that can change the run refuses a write without it, and a Host other
than loopback — while the harness, whose requests name 127.0.0.1 and the published port, gets in.
*/

interface Answer {
  status: number;
  body: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The tar header of a file in a container (docker cp), or null when the file is not there. */
async function fileIn(container: Docker.Container, path: string): Promise<{ mode: number; uid: number; gid: number } | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await container.getArchive({ path })) as NodeJS.ReadableStream;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const header = Buffer.concat(chunks).subarray(0, 512);
  const octal = (offset: number, length: number) => parseInt(header.subarray(offset, offset + length).toString('ascii').replace(/\0.*$/, '').trim(), 8);
  return { mode: octal(100, 8) & 0o777, uid: octal(108, 8), gid: octal(116, 8) };
}

/** Runs `node -e script` in a container (our images have node and no shell); resolves with its output. */
async function nodeIn(container: Docker.Container, script: string): Promise<string> {
  const exec = await container.exec({ Cmd: ['node', '-e', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  // Docker's multiplexed stream: 8-byte frame headers.
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out.trim();
}

const runs = new Set<string>();
await describeDockerRuns('the locked control plane on the Docker runtime', runs, (docker: Docker) => {
  const credential = newRunCredential();
  let topology: StartedTopology;
  let receiver: TraceReceiver;
  let relayPort: number;

  beforeAll(async () => {
    receiver = new TraceReceiver({ credential });
    await receiver.start();
    const scenario = await loadScenario('test/runtime/docker/fixtures/slow-link-and-crash.yaml');
    const plan = planScenario(scenario, `lock-${Date.now().toString(36)}`);
    runs.add(plan.runId);
    topology = await new DockerRuntime({ docker }).start(plan, { credential, tracing: { endpoint: receiver.tracesUrl, sampleRatio: 1, maxTracesPerSecond: 0 } });
    const [relay] = await docker.listContainers({ filters: { label: [`${LABEL.run}=${plan.runId}`, `${LABEL.role}=span-relay`] } });
    relayPort = relay.Ports.find((p) => p.PrivatePort === SPAN_RELAY_PORT && p.IP === '127.0.0.1')!.PublicPort;
  }, 300_000);
  afterAll(async () => {
    await topology?.stop();
    await receiver?.close();
  }, 120_000);

  test('the credential is in no container configuration, in the sidecar, engine and relay containers as a 0400 file of their user, and in no app container', { timeout: 60_000 }, async () => {
    assert.equal(topology.credential, credential);
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${[...runs][0]}`] } });
    const roles = new Map<string, number>();
    for (const c of containers) {
      const role = c.Labels[LABEL.role];
      roles.set(role, (roles.get(role) ?? 0) + 1);
      const container = docker.getContainer(c.Id);
      assert.ok(!JSON.stringify(await container.inspect()).includes(credential), `docker inspect of ${c.Names[0]} shows no credential`);
      const file = await fileIn(container, CREDENTIAL_PATH);
      if (role === 'app') assert.equal(file, null, `${c.Names[0]}: an app never gets the credential`);
      else assert.deepEqual(file, { mode: 0o400, uid: 65534, gid: 65534 }, `${c.Names[0]} (${role})`);
    }
    assert.deepEqual(Object.fromEntries(roles), { sidecar: 5, app: 4, 'fault-engine': 1, 'span-relay': 1 });
  });

  test("a sidecar's published admin port: no credential or a wrong Host is refused; the harness's push is applied", { timeout: 60_000 }, async () => {
    const pod = topology.pods[0] as DockerRunningPod;
    const port = pod.published.admin;
    const dump = await call(port, 'GET', '/config_dump');
    assert.equal(dump.status, 503, 'no push yet, and reads need no credential');
    const cfg: SidecarConfig = { version: 7, service: pod.service, instance: pod.instance, app: { host: '127.0.0.1', port: POD_PORTS.app }, t0: Date.now(), seed: 1, clusters: {}, zone: null, subset: 'v1', inbound: { rateLimit: null, fault: null } };
    const json = { 'content-type': 'application/json' };
    assert.equal((await call(port, 'POST', '/config', json, JSON.stringify(cfg))).status, 401);
    assert.equal((await call(port, 'POST', '/config', { ...json, ...bearerHeader(credential), host: `evil.example:${port}` }, JSON.stringify(cfg))).status, 421);
    assert.equal((await call(port, 'POST', '/config', { ...json, ...bearerHeader(credential), origin: 'http://evil.example' }, JSON.stringify(cfg))).status, 403);
    assert.equal((await call(port, 'GET', '/config_dump')).status, 503, 'nothing was applied');
    // As the control plane sends it: Host 127.0.0.1:<published port>, which the container cannot know.
    const ok = await call(port, 'POST', '/config', { ...json, ...bearerHeader(credential) }, JSON.stringify(cfg));
    assert.equal(ok.status, 200, ok.body);
    assert.equal((JSON.parse((await call(port, 'GET', '/config_dump')).body) as SidecarConfig).version, 7);
  });

  test('the app in the pod shares its sidecar\'s loopback, but has no credential to push with, and no file to read one from', { timeout: 60_000 }, async () => {
    const pod = topology.pods[1] as DockerRunningPod;
    const app = docker.getContainer(pod.containers.app!);
    const script = `
      const fs = require('node:fs');
      let file = 'readable';
      try { fs.readFileSync(${JSON.stringify(CREDENTIAL_PATH)}); } catch (e) { file = e.code; }
      fetch('http://127.0.0.1:${POD_PORTS.admin}/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
        .then((r) => console.log(JSON.stringify({ file, status: r.status, env: JSON.stringify(process.env).includes(${JSON.stringify(credential)}) })));`;
    assert.deepEqual(JSON.parse(await nodeIn(app, script)), { file: 'ENOENT', status: 401, env: false });
  });

  test('the fault engine behind its published port: writes need the credential, Host must be loopback; the driver with the credential gets in', { timeout: 60_000 }, async () => {
    const port = Number(new URL(topology.faultEngine!.url).port);
    const json = { 'content-type': 'application/json' };
    const proxy = JSON.stringify({ name: 'intruder', upstream: '127.0.0.1:9', listen: '127.0.0.1:0' });
    assert.equal((await call(port, 'GET', '/proxies')).status, 200);
    const refused = await call(port, 'POST', '/proxies', json, proxy);
    assert.equal(refused.status, 401);
    assert.match((JSON.parse(refused.body) as { error: string }).error, /credential/);
    assert.equal((await call(port, 'POST', '/proxies', { ...json, ...bearerHeader(credential), host: `fault-engine:${FAULT_ENGINE_API_PORT}` }, proxy)).status, 421);
    assert.equal((await call(port, 'GET', '/proxies/intruder')).status, 404);
    const driver = new ToxiproxyDriver({ url: topology.faultEngine!.url, credential });
    try {
      await driver.createProxy({ name: 'harness', upstream: '127.0.0.1:9' });
      await driver.removeProxy('harness');
    } finally {
      driver.close();
    }
  });

  test("the span relay's published port: forged exports and drains without the credential are refused", { timeout: 60_000 }, async () => {
    const json = { 'content-type': 'application/json' };
    assert.equal((await call(relayPort, 'GET', '/ready')).status, 200);
    assert.equal((await call(relayPort, 'POST', '/v1/traces', json, '{"resourceSpans":[]}')).status, 401);
    assert.equal((await call(relayPort, 'POST', '/drain', json, '{}')).status, 401);
    assert.equal((await call(relayPort, 'POST', '/drain', { ...json, ...bearerHeader(credential), host: 'evil.example' }, '{}')).status, 421);
  });
});

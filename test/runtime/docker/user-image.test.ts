import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, onTestFinished, test } from 'vitest';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { runScenario } from '../../../src/engine/run-scenario.ts';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.ts';
import { LABEL } from '../../../src/runtime/docker/labels.ts';
import { seriesKey } from '../../../src/contract/series.ts';
import { parseScenario } from '../../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../../src/scenario/scenario.ts';
import { assertAllHeld } from '../../helpers/documented-verdicts.ts';
import { assertNothingLeft, describeDockerRuns } from './helpers.ts';

/**
A user's own service as an image, with the contract of docs/own-services.md — the same as a local
`command:`: it listens on $PORT, reaches each service it calls at $<NAME>_URL (the sidecar's
dedicated listener), or through $MESHPROOF_SIDECAR with the Host header, or through HTTP_PROXY; its
`ready` check (tcp, http, log line) gates the load; its output lands in the report's logs folder;
and one that does not start stops the run with the end of its output.
*/

/** Its own tag per test process: two test suites on one engine must not share (and remove) one image. */
const USER_IMAGE = `meshproof-test-user-app:${process.pid}`;
const runs = new Set<string>();

/**
The user's app: plain Node, nothing from meshproof. Each request calls $CALLEE three ways — its
<NAME>_URL, MESHPROOF_SIDECAR with the Host header, HTTP_PROXY with a proxy-form target — and
answers 200 only when all three did. /healthz answers 503 for its first 700ms, and it prints "ready
to serve" then. MODE=crash: it writes an error and 25 lines, and exits 3.
*/
const APP = `
import { createServer, request } from 'node:http';
if (process.env.MODE === 'crash') {
  // stderr first, and a pause: the two streams have no order between them otherwise.
  console.error('Error: no database at ' + process.env.DB_URL);
  setTimeout(() => {
    const lines = Array.from({ length: 25 }, (_, i) => 'crash line ' + (i + 1)).join('\\n');
    process.stdout.write(lines + '\\n', () => process.exit(3));
  }, 200);
} else {
const callee = process.env.CALLEE;
const url = new URL(process.env[callee.toUpperCase() + '_URL']);
const [host, port] = process.env.MESHPROOF_SIDECAR.split(':');
const proxy = new URL(process.env.HTTP_PROXY);
const ways = [
  { host: url.hostname, port: url.port, path: '/', headers: {} },
  { host, port, path: '/', headers: { host: callee } },
  { host: proxy.hostname, port: proxy.port, path: 'http://' + callee + '/', headers: { host: callee } },
];
function call(o) {
  return new Promise((resolve) => {
    const req = request({ ...o, port: Number(o.port) }, (up) => { up.resume(); up.on('end', () => resolve(up.statusCode)); });
    req.on('error', () => resolve(0));
    req.end();
  });
}
let warm = false;
setTimeout(() => { warm = true; console.log('ready to serve on ' + process.env.PORT + ' ' + process.env.GREETING); }, 700);
const server = createServer(async (req, res) => {
  req.resume();
  if (req.url === '/healthz') { res.writeHead(warm ? 200 : 503); return res.end(); }
  const statuses = await Promise.all(ways.map(call));
  res.writeHead(statuses.every((s) => s === 200) ? 200 : 502, { 'x-statuses': statuses.join(',') });
  res.end('ok');
});
server.listen(Number(process.env.PORT), '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
`;

const SCENARIO = `version: 1
name: user-image
description: Two users' images in front of a built-in store, each with its own readiness check.
seed: 3
duration: 3s
services:
  front:
    image: ${USER_IMAGE}
    env: { CALLEE: cart, GREETING: "front \${MESHPROOF_INSTANCE}" }
    ready: { http: /healthz }
    calls: [cart]
  cart:
    image: ${USER_IMAGE}
    env: { CALLEE: store, GREETING: "cart at \${STORE_URL}" }
    ready: { log: "^ready to serve" }
    calls: [store]
  store:
    replicas: 2
load: { target: front, rate: 20/s, connections: 30 }
expect:
  - success_rate(client) >= 99%
  - requests(store) > 0
`;

const CRASHING = `version: 1
name: user-image-crash
description: A user's image that exits at start.
duration: 3s
services:
  front:
    image: ${USER_IMAGE}
    env: { MODE: crash, DB_URL: "\${STORE_URL}" }
    calls: [store]
  store: {}
load: { target: front, rate: 10/s }
expect:
  - success_rate(client) >= 99%
`;

async function buildUserImage(docker: Docker, base: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-user-image-'));
  try {
    writeFileSync(join(dir, 'app.mjs'), APP);
    writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nLABEL meshproof.role=test-user-image\nCOPY app.mjs /user/app.mjs\nCMD ["node", "/user/app.mjs"]\n');
    const stream = await docker.buildImage(pack(dir) as unknown as NodeJS.ReadableStream, { t: USER_IMAGE, buildargs: { BASE: base }, pull: false, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = err ?? out.find((e) => e.error);
        if (failed) reject(new Error(`building ${USER_IMAGE}: ${failed instanceof Error ? failed.message : failed.error}`));
        else resolve();
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await describeDockerRuns("a user's service as an image", runs, (docker: Docker, image: () => string) => {
  beforeAll(async () => buildUserImage(docker, image()), 300_000);
  afterAll(async () => void (await docker.getImage(USER_IMAGE).remove({ force: true }).catch(() => {})));

  test('the images get PORT, <NAME>_URL, MESHPROOF_SIDECAR and HTTP_PROXY, their readiness gates the load, every call goes through the mesh, and their output is in the report', { timeout: 240_000 }, async () => {
    const parsed = parseScenario(SCENARIO, 'user-image.yaml');
    assert.ok(parsed.scenario, JSON.stringify(parsed.issues));
    const scenario: Scenario = parsed.scenario;
    assert.equal(scenario.services.find((s) => s.name === 'front')?.image, USER_IMAGE);
    const reports = mkdtempSync(join(tmpdir(), 'meshproof-user-image-reports-'));
    onTestFinished(() => rmSync(reports, { recursive: true, force: true }));
    let images: Promise<Record<string, string>> | null = null;
    let runId = '';
    const outcome = await runScenario(scenario, {
      runtime: new DockerRuntime({ docker }),
      reportsDir: reports,
      onEvent: (e) => {
        if (e.type === 'run-starting') runs.add((runId = e.runId));
        if (e.type === 'load-started') {
          images = docker
            .listContainers({ filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=app`] } })
            .then((cs) => Object.fromEntries(cs.map((c) => [c.Labels[LABEL.instance], c.Image])));
        }
      },
    });
    assert.equal(outcome.result.error, null);
    assert.deepEqual(outcome.result.verdicts.map((v) => v.expectation.text), ['success_rate(client) >= 99%', 'requests(store) > 0']);
    // Held; on a machine too busy to judge, inconclusive with reasons, never failed.
    assertAllHeld(outcome.result);
    assert.ok(images, 'the load started');
    const byInstance = await (images as Promise<Record<string, string>>);
    assert.equal(byInstance['front-0'], USER_IMAGE, 'front-0 ran the user image');
    assert.equal(byInstance['cart-0'], USER_IMAGE, 'cart-0 ran the user image');
    assert.notEqual(byInstance['store-0'], USER_IMAGE, 'store runs the built-in app');
    // Each request to front made three calls to cart (one each way), each of which made three to
    // store: a 200 at the client needed all nine. The counts show the fan-out (the calls of the last
    // requests may end after the timeline's last second, so not exactly 3× and 9×).
    const total = (key: string) => outcome.result.timeline.series[key]?.reduce((a, b) => a + b.requests, 0) ?? 0;
    const client = total(seriesKey.client());
    assert.ok(client > 20, `client requests: ${client}`);
    assert.ok(total(seriesKey.edge('front', 'cart')) > 2 * client, `front -> cart: ${total(seriesKey.edge('front', 'cart'))} for ${client}`);
    assert.ok(total(seriesKey.edge('cart', 'store')) > 2 * total(seriesKey.edge('front', 'cart')), `cart -> store: ${total(seriesKey.edge('cart', 'store'))} for ${total(seriesKey.edge('front', 'cart'))} front -> cart`);
    // Their output, in the report.
    assert.deepEqual(outcome.result.instances.filter((i) => i.log).map((i) => i.log), ['logs/front-0.log', 'logs/cart-0.log']);
    assert.match(readFileSync(join(outcome.reportDir!, 'logs', 'front-0.log'), 'utf8'), /^ready to serve on 8080 front front-0$/m);
    assert.match(readFileSync(join(outcome.reportDir!, 'logs', 'cart-0.log'), 'utf8'), /^ready to serve on 8080 cart at http:\/\/127\.0\.0\.1:15101$/m);
    await assertNothingLeft(docker, runId);
  });

  test('an image that exits at start stops the run (the error names it, with the last 20 lines of its output) and leaves nothing', { timeout: 240_000 }, async () => {
    const parsed = parseScenario(CRASHING, 'user-image-crash.yaml');
    assert.ok(parsed.scenario, JSON.stringify(parsed.issues));
    let runId = '';
    const outcome = await runScenario(parsed.scenario, {
      runtime: new DockerRuntime({ docker }),
      reportsDir: null,
      onEvent: (e) => {
        if (e.type === 'run-starting') runs.add((runId = e.runId));
      },
    });
    const error = outcome.result.error ?? '';
    const lines = error.split('\n');
    assert.equal(lines[0], `front-0 (service front, image ${USER_IMAGE}) did not start: it exited with code 3`);
    assert.equal(lines[1], '  check: is it present locally, and does it listen on $PORT (8080)?');
    const tail = lines.slice(lines.findIndex((l) => /the last 20 lines of its output:/.test(l)) + 1);
    assert.deepEqual(tail, Array.from({ length: 20 }, (_, i) => `  | crash line ${i + 6}`));
    assert.match(error, /^  check: is it present locally, and does it listen on \$PORT \(8080\)\?$/m);
    assert.equal(outcome.result.verdicts.length, 1);
    await assertNothingLeft(docker, runId);
  });
});

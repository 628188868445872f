import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { runScenario } from '../../../src/engine/run-scenario.ts';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.ts';
import { LABEL } from '../../../src/runtime/docker/labels.ts';
import { ensureRuntimeImage } from '../../../src/runtime/docker/runtime-image.ts';
import { parseScenario } from '../../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../../src/scenario/scenario.ts';
import { assertNothingLeft, assertRunsLeftNothing, describeWithDocker, dockerEngine, leftovers, type Leftovers } from './helpers.ts';

/**
A user's own service as an image, with the contract of docs/docker.md: it listens on $PORT and calls
other services through $MESHPROOF_SIDECAR, naming them in the Host header; the scenario names it
with `image:`.
*/

const engine = await dockerEngine();
/** Its own tag per test process: two test suites on one engine must not share (and remove) one image. */
const USER_IMAGE = `meshproof-test-user-app:${process.pid}`;
const runs = new Set<string>();

/** The user's app: plain Node, nothing from meshproof. Each request calls `store` through the sidecar and answers with its status. */
const APP = `
import { createServer, request } from 'node:http';
const [host, port] = process.env.MESHPROOF_SIDECAR.split(':');
const server = createServer((req, res) => {
  req.resume();
  const call = request({ host, port: Number(port), path: '/', headers: { host: 'store' } }, (up) => {
    up.resume();
    up.on('end', () => {
      res.writeHead(up.statusCode, { 'x-served-by': 'user-image ' + process.env.MESHPROOF_INSTANCE });
      res.end('ok');
    });
  });
  call.on('error', () => { res.writeHead(502); res.end(); });
  call.end();
});
server.listen(Number(process.env.PORT), '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const SCENARIO = `version: 1
name: user-image
description: A user's image in front of a built-in store.
seed: 3
duration: 3s
services:
  front:
    image: ${USER_IMAGE}
    calls: [store]
  store:
    replicas: 2
load: { target: front, rate: 40/s, connections: 4 }
expect:
  - success_rate(client) >= 99%
  - requests(store) > 0
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

describeWithDocker("a user's service as an image", engine, (docker: Docker) => {
  let baseline: Leftovers | undefined;
  beforeAll(async () => void (baseline = await leftovers(docker)));
  beforeAll(async () => buildUserImage(docker, (await ensureRuntimeImage(docker)).tag), 300_000);
  afterAll(async () => {
    await docker.getImage(USER_IMAGE).remove({ force: true }).catch(() => {});
    await assertRunsLeftNothing(docker, runs, baseline);
  });

  test('the app container runs the image; it gets PORT and MESHPROOF_SIDECAR and its calls go through the mesh', { timeout: 180_000 }, async () => {
    const parsed = parseScenario(SCENARIO, 'user-image.yaml');
    assert.ok(parsed.scenario, JSON.stringify(parsed.issues));
    const scenario: Scenario = parsed.scenario;
    assert.equal(scenario.services.find((s) => s.name === 'front')?.image, USER_IMAGE);
    let images: Promise<Record<string, string>> | null = null;
    let runId = '';
    const outcome = await runScenario(scenario, {
      runtime: new DockerRuntime({ docker }),
      reportsDir: null,
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
    assert.deepEqual(
      outcome.result.verdicts.map((v) => [v.expectation.text, v.status]),
      [
        ['success_rate(client) >= 99%', 'held'],
        ['requests(store) > 0', 'held'],
      ],
      outcome.result.verdicts.map((v) => v.explanation).join('\n'),
    );
    assert.ok(images, 'the load started');
    const byInstance = await (images as Promise<Record<string, string>>);
    assert.equal(byInstance['front-0'], USER_IMAGE, 'front-0 ran the user image');
    assert.notEqual(byInstance['store-0'], USER_IMAGE, 'store runs the built-in app');
    await assertNothingLeft(docker, runId);
  });
});

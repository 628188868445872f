import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, test } from 'vitest';
import { apiUrl, checkWireEngine, describeWireEngine, findToxiproxyServer, startToxiproxyEngine } from '../../../src/chaos/engine/wire-engine.ts';
import { MeshproofError } from '../../../src/errors.ts';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.ts';
import { startEngine } from '../helpers.ts';

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'meshproof-wire-engine-'));
  dirs.push(d);
  return d;
}

/**
A stand-in `toxiproxy-server` on PATH: takes Toxiproxy's own flags (-host H -port P) and runs
meshproof's engine standalone with them, so the start-from-PATH path (spawn, wait for the API, stop)
runs for real where the real binary cannot be installed.
*/
function fakeToxiproxyOnPath(): string {
  const dir = tempDir();
  const script = join(dir, 'toxiproxy-server');
  writeFileSync(
    script,
    `#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -host) H="$2"; shift 2;; -port) P="$2"; shift 2;; *) shift;; esac; done\nexec "${process.execPath}" "${CLI}" toxiproxy --host "$H" --port "$P"\n`,
  );
  chmodSync(script, 0o755);
  return dir;
}

const toxiproxy = (address: string | null) => ({ engine: 'toxiproxy' as const, address });

test('apiUrl takes host:port or an http URL', () => {
  assert.equal(apiUrl('127.0.0.1:8474'), 'http://127.0.0.1:8474');
  assert.equal(apiUrl('http://localhost:8474/'), 'http://localhost:8474');
  assert.throws(() => apiUrl('https://x:1'), /plain http/);
});

test('with no toxiproxy-server on PATH and no address, the check says what to do (exit 2)', () => {
  const env = { PATH: tempDir() };
  assert.equal(findToxiproxyServer(env), null);
  assert.throws(
    () => checkWireEngine(toxiproxy(null), { runtime: 'local', env, file: 'x.yaml' }),
    (err: unknown) => err instanceof MeshproofError && err.code === 'MESHPROOF_RUNTIME_UNAVAILABLE' && /x\.yaml: chaos\.engine is toxiproxy, but there is no toxiproxy-server on PATH.*chaos\.address.*engine: builtin/s.test(err.message),
  );
  // An address, or the builtin engine, needs no binary.
  checkWireEngine(toxiproxy('127.0.0.1:8474'), { runtime: 'local', env });
  checkWireEngine({ engine: 'builtin', address: null }, { runtime: 'local', env });
  assert.throws(() => checkWireEngine(toxiproxy('127.0.0.1:8474'), { runtime: 'docker', env }), /local runtime only/);
});

test('an address where nothing answers is a clear error, within the deadline', async () => {
  const started = performance.now();
  await assert.rejects(
    startToxiproxyEngine(toxiproxy('127.0.0.1:9'), { runId: 'wire-engine-test', readyTimeoutMs: 1500 }),
    (err: unknown) => err instanceof MeshproofError && err.code === 'MESHPROOF_RUNTIME_UNAVAILABLE' && /chaos\.address 127\.0\.0\.1:9 does not answer the Toxiproxy API/.test(err.message),
  );
  assert.ok(performance.now() - started < 5000);
});

test('a server already running at the address is used as it is and not stopped', async () => {
  const { server } = await startEngine(7);
  afterAll(() => server.close());
  const engine = await startToxiproxyEngine(toxiproxy(server.url.replace('http://', '')), { runId: 'wire-engine-test' });
  assert.equal(engine.url, server.url);
  assert.equal(engine.external, true);
  assert.equal(engine.version, '2.12.0-meshproof');
  assert.equal(describeWireEngine(engine), `Toxiproxy 2.12.0-meshproof at ${server.url.replace('http://', '')}`);
  await engine.stop();
  const d = new ToxiproxyDriver({ url: server.url });
  assert.equal(await d.version(), '2.12.0-meshproof', 'still running after stop()');
  d.close();
});

test('toxiproxy-server from PATH is started on 127.0.0.1 for the run and stopped after it', async () => {
  const env = { ...process.env, PATH: `${fakeToxiproxyOnPath()}:${process.env.PATH}` };
  assert.match(findToxiproxyServer(env) ?? '', /toxiproxy-server$/);
  const stateDir = tempDir();
  const engine = await startToxiproxyEngine(toxiproxy(null), { runId: 'wire-engine-test-path', env, stateDir });
  assert.equal(engine.external, false);
  assert.match(engine.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const d = new ToxiproxyDriver({ url: engine.url, timeoutMs: 1000 });
  assert.equal(await d.version(), '2.12.0-meshproof');
  await engine.stop();
  await assert.rejects(d.version(), /cannot reach Toxiproxy/);
  d.close();
});

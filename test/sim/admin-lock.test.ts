import { afterAll, beforeAll, describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { bearerHeader, newRunCredential } from '../../src/auth/run-credential.ts';
import type { SidecarConfig } from '../../src/contract/sidecar-config.ts';
import { SIDECAR_MAIN, startChild, type StartedChild } from './helpers/child.ts';
import { sidecarConfig } from './helpers/config.ts';
import { TEST_CREDENTIAL } from './helpers/credential.ts';
import { send, type TestResponse } from './helpers/http.ts';

/**
The admin port of a real sidecar process, attacked the ways issue 16 lists: a config push with no
credential, a wrong one, from a web page (Origin, text/plain, a browser's user agent), through a
DNS-rebound name. Each is refused with its status and a JSON body, and none of them changes the
config the sidecar runs; the control plane's request is accepted.
*/

let sidecar: StartedChild;
let admin: number;
let version = 0;

const JSON_TYPE = { 'content-type': 'application/json' };
const auth = bearerHeader(TEST_CREDENTIAL);

/** A config push, the next version each time, with the headers given (the Host too, when given). */
function push(headers: Record<string, string>, body?: string): Promise<TestResponse> {
  const cfg: SidecarConfig = sidecarConfig({ version: ++version, instance: 'lock-0', service: 'lock', clusters: {} });
  return send(admin, { path: '/config', method: 'POST', body: body ?? JSON.stringify(cfg), headers });
}

async function runningVersion(): Promise<number | null> {
  const r = await send(admin, { path: '/config_dump' });
  return r.status === 200 ? (JSON.parse(r.body) as SidecarConfig).version : null;
}

/** Asserts a refusal: the status, a JSON body `{error, status}` whose message matches, and no stack. */
function refused(r: TestResponse, status: number, message: RegExp): void {
  assert.equal(r.status, status, r.body);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = JSON.parse(r.body) as { error: string; status: number };
  assert.equal(body.status, status);
  assert.match(body.error, message);
  assert.doesNotMatch(r.body, /\bat .*\.ts:\d+/, 'no stack trace');
}

beforeAll(async () => {
  // One sidecar for the whole file, killed after it (afterAll below).
  sidecar = await startChild({ onTestFinished: () => {} }, SIDECAR_MAIN, { MESHPROOF_INSTANCE: 'lock-0', MESHPROOF_SERVICE: 'lock', MESHPROOF_SEED: '1' });
  assert.ok(sidecar.ready.type === 'ready' && sidecar.ready.role === 'sidecar');
  admin = sidecar.ready.ports.admin;
  const first = await push({ ...JSON_TYPE, ...auth });
  assert.equal(first.status, 200, first.body);
});

afterAll(() => void sidecar?.child.kill('SIGKILL'));

describe('the admin port of a real sidecar process', () => {
  it('got its credential over IPC: it is in neither its command line nor its environment', () => {
    const pid = sidecar.child.pid!;
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(TEST_CREDENTIAL));
    assert.ok(!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(TEST_CREDENTIAL));
  });

  it('no credential: 401 with a Bearer challenge; the config stays as it was', async () => {
    const before = await runningVersion();
    const r = await push(JSON_TYPE);
    refused(r, 401, /needs the run's credential \(Authorization: Bearer <token>\)/);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="meshproof"');
    assert.equal(await runningVersion(), before);
  });

  it('a wrong credential, or another scheme: 401 invalid_token', async () => {
    const before = await runningVersion();
    const wrong = await push({ ...JSON_TYPE, ...bearerHeader(newRunCredential()) });
    refused(wrong, 401, /not this run's/);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="meshproof", error="invalid_token"');
    refused(await push({ ...JSON_TYPE, authorization: `Basic ${Buffer.from(`x:${TEST_CREDENTIAL}`).toString('base64')}` }), 401, /needs the run's credential/);
    refused(await push({ ...JSON_TYPE, authorization: `Bearer ${TEST_CREDENTIAL.slice(0, -1)}` }), 401, /not this run's/);
    assert.equal(await runningVersion(), before);
  });

  it("a web page's request: Origin, text/plain, a form, no Content-Type, a browser's user agent — refused even with the credential", async () => {
    const before = await runningVersion();
    refused(await push({ ...JSON_TYPE, ...auth, origin: 'http://evil.example' }), 403, /Origin not allowed/);
    refused(await push({ ...JSON_TYPE, ...auth, origin: 'null' }), 403, /Origin not allowed/);
    refused(await push({ ...JSON_TYPE, ...auth, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' }), 403, /User agent not allowed/);
    refused(await push({ 'content-type': 'text/plain', ...auth }), 415, /Content-Type "text\/plain" not allowed: send application\/json/);
    refused(await push({ 'content-type': 'application/x-www-form-urlencoded', ...auth }), 415, /not allowed/);
    refused(await push({ 'content-type': 'multipart/form-data; boundary=x', ...auth }), 415, /not allowed/);
    refused(await push({ ...auth }), 415, /a write needs a Content-Type/);
    // Without the credential as well: the browser is named first.
    refused(await push({ 'content-type': 'text/plain', origin: 'http://evil.example' }), 403, /Origin/);
    assert.equal(await runningVersion(), before);
  });

  it('a Host that is not this listener (DNS rebinding, another port, none): 421, for reads too', async () => {
    const before = await runningVersion();
    refused(await push({ ...JSON_TYPE, ...auth, host: `evil.example:${admin}` }), 421, /is not this listener.*DNS rebinding/);
    refused(await push({ ...JSON_TYPE, ...auth, host: `127.0.0.1.evil.example:${admin}` }), 421, /is not this listener/);
    refused(await push({ ...JSON_TYPE, ...auth, host: `127.0.0.1:${admin + 1}` }), 421, /names another port/);
    refused(await push({ ...JSON_TYPE, ...auth, host: '127.0.0.1' }), 421, /names another port/);
    refused(await send(admin, { path: '/config_dump', headers: { host: `evil.example:${admin}` } }), 421, /DNS rebinding/);
    // HTTP/1.0 allows no Host at all; Node's server then lets the request through to the guard.
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(admin, '127.0.0.1', () => s.end('GET /stats HTTP/1.0\r\n\r\n'));
      let text = '';
      s.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text)).on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 421 /);
    assert.match(raw, /no Host header/);
    assert.equal(await runningVersion(), before);
  });

  it('the control plane\'s request is accepted: JSON, the credential, Host 127.0.0.1:<port> or localhost:<port>; the scheme in any case', async () => {
    const r = await push({ ...JSON_TYPE, ...auth });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { version, applied: true });
    assert.equal(await runningVersion(), version);
    const local = await push({ 'content-type': 'application/json; charset=utf-8', authorization: `bearer ${TEST_CREDENTIAL}`, host: `localhost:${admin}` });
    assert.equal(local.status, 200, local.body);
    assert.equal(await runningVersion(), version);
  });

  it('reads stay open to anything on the machine: stats, events, config, clusters, ready — with a loopback Host', async () => {
    for (const path of ['/ready', '/stats', '/stats/prometheus', '/events', '/timeline', '/config_dump', '/clusters']) {
      const r = await send(admin, { path });
      assert.equal(r.status, 200, `${path}: ${r.body}`);
    }
  });

  it('a large body without the credential gets its 401, not a reset', async () => {
    const r = await push(JSON_TYPE, JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    refused(r, 401, /needs the run's credential/);
  });

  it('an unknown write route is refused like any write without the credential; with it, a 404', async () => {
    refused(await send(admin, { path: '/quitquitquit', method: 'POST', headers: JSON_TYPE, body: '{}' }), 401, /credential/);
    assert.equal((await send(admin, { path: '/quitquitquit', method: 'POST', headers: { ...JSON_TYPE, ...auth }, body: '{}' })).status, 404);
  });
});

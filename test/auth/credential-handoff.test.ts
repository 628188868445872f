import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCredentialFile } from '../../src/auth/credential-handoff.ts';
import { bearerHeader, newRunCredential } from '../../src/auth/run-credential.ts';
import { send } from '../sim/helpers/http.ts';
import { sidecarConfig } from '../sim/helpers/config.ts';

const SIDECAR_MAIN = fileURLToPath(new URL('../../src/sim/sidecar/main.ts', import.meta.url));

function tempDir(t: { onTestFinished(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-credential-'));
  t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A sidecar process started by hand: no IPC channel, so it reads the credential from a file and prints its ready line. */
function startByHand(env: Record<string, string>) {
  const child = spawn(process.execPath, [SIDECAR_MAIN], { env: { ...process.env, MESHPROOF_INSTANCE: 'hand-0', MESHPROOF_SERVICE: 'hand', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  const ready = new Promise<{ ports: { admin: number } }>((resolve, reject) => {
    child.stdout.on('data', () => stdout.includes('\n') && resolve(JSON.parse(stdout)));
    void exited.then((e) => reject(new Error(`exited ${e.code}: ${e.stderr}`)));
  });
  ready.catch(() => {}); // a test that expects the exit reads `exited` instead
  return { ready, exited, stop: () => void child.kill('SIGTERM') };
}

describe('handing the credential to a process started without IPC (a container, or by hand)', () => {
  test('a file only its user can read: the sidecar starts, and pushes with that credential are applied', async (t) => {
    const dir = tempDir(t);
    const credential = newRunCredential();
    const file = join(dir, 'credential');
    writeFileSync(file, `${credential}\n`, { mode: 0o600 });
    const sidecar = startByHand({ MESHPROOF_CREDENTIAL_FILE: file });
    t.onTestFinished(sidecar.stop);
    const ready = await sidecar.ready;
    const cfg = JSON.stringify(sidecarConfig({ instance: 'hand-0', service: 'hand', clusters: {} }));
    assert.equal((await send(ready.ports.admin, { path: '/config', method: 'POST', body: cfg, headers: { 'content-type': 'application/json' } })).status, 401);
    const ok = await send(ready.ports.admin, { path: '/config', method: 'POST', body: cfg, headers: { 'content-type': 'application/json', ...bearerHeader(credential) } });
    assert.equal(ok.status, 200, ok.body);
  });

  test('a file others can read, no file, or none named: exit 1 before anything listens, saying what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshproof-credential-'));
    try {
      const file = join(dir, 'credential');
      writeFileSync(file, newRunCredential(), { mode: 0o644 });
      chmodSync(file, 0o644);
      const cases: [Record<string, string>, RegExp][] = [
        [{ MESHPROOF_CREDENTIAL_FILE: file }, /can be read or changed by other users \(mode 644\): chmod 600 it/],
        [{ MESHPROOF_CREDENTIAL_FILE: join(dir, 'missing') }, /ENOENT/],
        [{}, /no credential: started without an IPC channel, and MESHPROOF_CREDENTIAL_FILE names no file/],
      ];
      for (const [env, message] of cases) {
        const s = await startByHand(env).exited;
        assert.equal(s.code, 1);
        assert.match(s.stderr, message);
        assert.equal(s.stdout, '', 'no ready line: nothing listened');
        assert.doesNotMatch(s.stderr, /\n\s+at /, 'a message, not a stack');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('readCredentialFile: a directory, a file with group permissions, a malformed credential are refused', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'd'), { mode: 0o700 });
    assert.throws(() => readCredentialFile(join(dir, 'd')), /is not a regular file/);
    const group = join(dir, 'group');
    writeFileSync(group, newRunCredential(), { mode: 0o640 });
    chmodSync(group, 0o640);
    assert.throws(() => readCredentialFile(group), /mode 640/);
    const short = join(dir, 'short');
    writeFileSync(short, 'hunter2', { mode: 0o600 });
    assert.throws(() => readCredentialFile(short), /32 to 512 characters/);
    const good = join(dir, 'good');
    const c = newRunCredential();
    writeFileSync(good, `${c}\n`, { mode: 0o400 });
    assert.equal(readCredentialFile(good), c);
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { RunRegistry, reapOrphans } from '../../src/process/run-registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'meshproof-registry-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function idle(env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  started.push(c);
  return c;
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

async function deadPid(): Promise<number> {
  const c = idle({});
  const pid = c.pid!;
  c.kill('SIGKILL');
  await exited(c);
  return pid;
}

test('reaps the processes of a run whose harness is dead, and only those carrying its run id', async () => {
  const orphan = idle({ MESHPROOF_RUN_ID: 'run-a' });
  const stranger = idle({ MESHPROOF_RUN_ID: 'someone-else' });
  await new Promise((r) => orphan.once('spawn', r));
  writeFileSync(join(dir, 'run-a.json'), JSON.stringify({ runId: 'run-a', harnessPid: await deadPid(), pids: [orphan.pid, stranger.pid] }));

  assert.equal(reapOrphans(dir), 1);
  await exited(orphan);
  assert.equal(orphan.signalCode, 'SIGKILL');
  assert.equal(stranger.exitCode, null, 'a process without the run id is never killed');
  assert.deepEqual(readdirSync(dir), [], 'the record is removed');
});

test('leaves the processes of a live run alone', async () => {
  const registry = new RunRegistry('run-live', { dir });
  const child = idle({ MESHPROOF_RUN_ID: 'run-live' });
  registry.add(child.pid!);
  assert.equal(reapOrphans(dir), 0);
  assert.equal(child.exitCode, null);
  registry.close();
  assert.deepEqual(readdirSync(dir), []);
});

test('a closed record stays closed: a child that is removed after the close does not bring it back', () => {
  const registry = new RunRegistry('run-closed', { dir });
  registry.add(process.pid);
  registry.close();
  registry.remove(process.pid);
  registry.add(process.pid);
  expect(readdirSync(dir).filter((f) => f.startsWith('run-closed'))).toEqual([]);
});

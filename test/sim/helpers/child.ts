import type { TestContext } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { answerCredentialRequests } from '../../../src/auth/credential-handoff.ts';
import type { ChildMessage } from '../../../src/contract/child-message.ts';
import { TEST_CREDENTIAL } from './credential.ts';

export const SIDECAR_MAIN = fileURLToPath(new URL('../../../src/sim/sidecar/main.ts', import.meta.url));
export const BUILTIN_MAIN = fileURLToPath(new URL('../../../src/sim/builtin/main.ts', import.meta.url));

export interface StartedChild {
  child: ChildProcess;
  ready: ChildMessage;
  stderr(): string;
}

/**
Spawns a Node child with an IPC channel, as the local runtime does (answering its request for the
credential with `credential`), waits for its ready message, and kills it after the test.
*/
export function startChild(t: Pick<TestContext, 'onTestFinished'>, script: string, env: Record<string, string>, credential = TEST_CREDENTIAL): Promise<StartedChild> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  answerCredentialRequests(child, credential);
  t.onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within 15s; stderr: ${err}`)), 15_000);
    const onMessage = (m: ChildMessage) => {
      if (m?.type !== 'ready') return;
      child.off('message', onMessage);
      clearTimeout(timer);
      resolve({ child, ready: m, stderr: () => err });
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready; stderr: ${err}`));
    });
  });
}

/** Resolves when the child has exited (or rejects after `timeoutMs`). */
export function exited(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} still running after ${timeoutMs}ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

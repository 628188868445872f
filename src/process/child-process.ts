import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerCredentialRequests } from '../auth/credential-handoff.ts';
import { MeshproofError } from '../errors.ts';
import type { ChildMessage } from '../contract/child-message.ts';

export interface SpawnedChild {
  child: ChildProcess;
  ready: ChildMessage;
  /** The last few KB the child wrote to stderr, for error messages. */
  stderrTail(): string;
}

/**
Starts a Node child with an IPC channel and waits for its `ready` message. The child runs in its own
process group, so a Ctrl-C at the terminal reaches only the harness, which then collects what was
measured and tears the children down itself; the IPC channel closing is the children's signal that
the harness is gone.
*/
export function spawnNodeChild(options: {
  name: string;
  script: string;
  env: Record<string, string>;
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  nodeArgs?: string[];
  /**
  The message of a start-up failure the child reported itself (a supervisor's `failed`: why, and the
  end of its program's output). @default "<name> did not start: <why>"
  */
  describeFailure?: (why: string, output: string[]) => string;
  /** The run's credential, answered over IPC when the child asks for it (src/auth/credential-handoff.ts). @default none: a request goes unanswered */
  credential?: string;
}): Promise<SpawnedChild> {
  const { name, script, env, readyTimeoutMs = 10_000, signal } = options;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    env: { NODE_COMPILE_CACHE: compileCacheDir(), ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
  });
  if (options.credential) answerCredentialRequests(child, options.credential);
  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    tail = (tail + d).slice(-4096);
  });
  const stderrTail = () => tail.trim();
  return new Promise((resolve, reject) => {
    const fail = (why: string, reported?: string[]) => {
      cleanup();
      child.kill('SIGKILL');
      if (reported && options.describeFailure) return reject(new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', options.describeFailure(why, reported)));
      const err = stderrTail();
      reject(new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${name} did not start: ${why}${err ? `\n--- its stderr ---\n${err}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no ready message within ${readyTimeoutMs}ms`), readyTimeoutMs);
    const onMessage = (m: ChildMessage) => {
      if (m && m.type === 'ready') {
        cleanup();
        resolve({ child, ready: m, stderrTail });
      } else if (m && m.type === 'failed') {
        fail(m.why, m.output);
      }
    };
    // 'close', not 'exit': a message the child sent just before it exited may be read after 'exit'.
    const onExit = (code: number | null, sig: string | null) => fail(`it exited (code ${code}, signal ${sig}) before it was ready`);
    const onError = (err: Error) => fail(err.message);
    const onAbort = () => fail('start-up was interrupted');
    function cleanup() {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('close', onExit);
      child.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    }
    child.on('message', onMessage);
    child.on('close', onExit);
    child.on('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. A stopped (SIGSTOP) child is continued first so it can die. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
    child.kill('SIGCONT');
  });
}

/**
Node's compile cache keeps the type-stripped, compiled sources between starts: each child then
starts faster and ~17 MB smaller than when it strips the TypeScript itself.
*/
export function compileCacheDir(): string {
  return join(tmpdir(), 'meshproof', 'compile-cache');
}

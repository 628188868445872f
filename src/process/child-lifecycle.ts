import { flushCompileCache } from 'node:module';
import type { ChildMessage } from '../contract/child-message.ts';

/**
The life of a meshproof child process (a sidecar or a built-in app), the same for both:
start, tell the parent it is ready over IPC, and go away promptly when
- the IPC channel disconnects: the parent (the harness) died, even by SIGKILL, and no child may
  outlive it;
- SIGTERM or SIGINT arrives: close the listeners and exit 0.
Without an IPC channel (started by hand), the ready message is printed to stdout as JSON.
*/
export async function runChild(options: {
  /** Used in messages on stderr. */
  name: string;
  start(): Promise<ChildMessage>;
  close(): Promise<void>;
  /** Longest a graceful close may take before the process exits anyway. @default 2000 */
  closeTimeoutMs?: number;
}): Promise<void> {
  let stopping = false;
  const stop = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (process.env.MESHPROOF_DEBUG) process.stderr.write(`${options.name}: stopping (${why})\n`);
    const force = setTimeout(() => process.exit(code), options.closeTimeoutMs ?? 2000);
    force.unref();
    options.close().then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`${options.name}: error while closing: ${(err as Error).message}\n`);
        process.exit(code);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM', 0));
  process.once('SIGINT', () => stop('SIGINT', 0));
  const ipc = typeof process.send === 'function';
  if (ipc) process.once('disconnect', () => stop('the parent went away (IPC channel closed)', 0));

  let ready: ChildMessage;
  try {
    ready = await options.start();
  } catch (err) {
    process.stderr.write(`${options.name}: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (ipc) {
    if (!process.connected) return stop('the parent went away before the child was ready', 0);
    process.send!(ready);
  } else {
    process.stdout.write(JSON.stringify(ready) + '\n');
  }
  // Node writes its compile cache at exit, which for a sidecar is the end of the run: written now,
  // the processes started after this one (the harness starts the first of each kind first) find
  // the compiled modules instead of stripping and compiling the TypeScript again. No-op when warm.
  flushCompileCache();
}

/** A required environment variable, or exit 1 with a message naming it. */
export function requireEnv(name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    process.stderr.write(`missing environment variable ${name} (${what})\n`);
    process.exit(1);
  }
  return v;
}

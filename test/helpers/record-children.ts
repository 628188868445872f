/**
Loaded with `--import` into a meshproof process under test: every child process or worker thread it
starts is appended to the file named by $MESHPROOF_TEST_CHILDREN_LOG, then started exactly as asked.
It observes at the OS edge (the process-starting calls), so a test can say "nothing was started"
about the real CLI without mocking any of it.
*/
import childProcess from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const log = process.env.MESHPROOF_TEST_CHILDREN_LOG;
if (log) {
  const record = (what: string, args: unknown[]) => appendFileSync(log, `${process.pid} ${what} ${String(args[0])}\n`);
  const methods = ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync'] as const;
  const cp = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methods) {
    const original = cp[name];
    cp[name] = function (this: unknown, ...args: unknown[]) {
      record(name, args);
      return original.apply(this, args);
    };
  }
  const OriginalWorker = workerThreads.Worker;
  (workerThreads as { Worker: unknown }).Worker = class extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      record('Worker', args);
      super(...args);
    }
  };
  // Modules imported after this one (`import { spawn } from 'node:child_process'`) see the wrappers.
  syncBuiltinESMExports();
}

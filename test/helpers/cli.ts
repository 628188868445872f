import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileCacheDir } from '../../src/process/child-process.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
Runs the real CLI as a child process (the same Node that runs the tests), with a deadline. With
Node's compile cache on from the start, as bin/meshproof.js has it: src/cli.ts itself then needs no
TypeScript stripping (~0.1 s of CPU a start, ~100 starts in the suite).
*/
export function runCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string>; onStdout?: (chunk: string, child: ChildProcess) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { NODE_COMPILE_CACHE: compileCacheDir(), ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(d, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshproof ${args.join(' ')} did not finish within ${options.timeoutMs ?? 120_000}ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Pids of live processes whose environment carries MESHPROOF_RUN_ID=runId. */
export function processesOfRun(runId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (env.split('\0').includes(`MESHPROOF_RUN_ID=${runId}`)) {
        // A zombie has already exited; only its parent's wait is missing.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') pids.push(Number(entry));
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

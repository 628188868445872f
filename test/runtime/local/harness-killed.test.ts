import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { reapOrphans } from '../../../src/process/run-registry.ts';
import { processesOfRun } from '../../../src/process/run-processes.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { FIXTURES, NODE, processesWith, programProcesses, tempDir } from './helpers.ts';

/**
No user program outlives its run: not when the harness is SIGKILLed (the supervisors notice their
channel close, even while the program is paused), and not when everything between was lost (the
next start's reaping takes the program's group, and what left the group, by the run's id).
*/

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

async function startHarness(mode: 'run' | 'pause'): Promise<{ harness: ChildProcess; runId: string; port: number }> {
  const harness = spawn(NODE, [join(FIXTURES, 'harness.ts'), tempDir('meshproof-state-'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void harness.kill('SIGKILL'));
  let out = '';
  harness.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const line = await waitFor(() => (out.includes('\n') ? out.slice(0, out.indexOf('\n')) : undefined), { timeoutMs: 30_000, describe: () => `the harness's ready line (so far: ${out})` });
  const { runId, port } = JSON.parse(line) as { runId: string; port: number };
  onTestFinished(() => {
    for (const pid of processesOfRun(runId)) process.kill(pid, 'SIGKILL');
  });
  return { harness, runId, port };
}

describe('a SIGKILLed harness leaves no program behind', () => {
  for (const mode of ['run', 'pause'] as const) {
    test(`with the program ${mode === 'pause' ? 'paused (SIGSTOP)' : 'running'}`, async () => {
      const { harness, runId, port } = await startHarness(mode);
      const program = programProcesses(runId, 'front-0', port);
      expect(program.length).toBeGreaterThanOrEqual(4);
      if (mode === 'pause') {
        await waitFor(() => programProcesses(runId, 'front-0', port).every((p) => p.state === 'T') || undefined, { timeoutMs: 5000, describe: () => 'the program stopped' });
      }
      harness.kill('SIGKILL');
      await exited(harness);
      await waitFor(() => processesOfRun(runId).length === 0 || undefined, {
        timeoutMs: 10_000,
        describe: () => `no process of run ${runId} (left: ${processesOfRun(runId).join(', ')})`,
      });
    }, 60_000);
  }
});

test("the next start's reaping takes a dead run's program group, and a process that left the group", async () => {
  const dir = tempDir('meshproof-registry-');
  const runId = `reap-${process.pid}`;
  const group = spawn('sh', ['-c', 'sleep 300 & setsid sleep 301 & wait'], { env: { ...process.env, MESHPROOF_RUN_ID: runId }, stdio: 'ignore', detached: true });
  onTestFinished(() => {
    for (const pid of processesOfRun(runId)) process.kill(pid, 'SIGKILL');
  });
  await waitFor(() => processesWith(`MESHPROOF_RUN_ID=${runId}`).length >= 3 || undefined, { timeoutMs: 5000, describe: () => 'sh and both sleeps' });
  const dead = spawn(NODE, ['-e', '0']);
  await exited(dead);
  writeFileSync(join(dir, `${runId}.json`), JSON.stringify({ runId, harnessPid: dead.pid, pids: [group.pid] }));
  expect(reapOrphans(dir)).toBeGreaterThan(0);
  await exited(group);
  await waitFor(() => processesOfRun(runId).length === 0 || undefined, { timeoutMs: 5000, describe: () => `nothing of ${runId} left` });
}, 30_000);

// SIGINT and SIGTERM against the real CLI process (bin/meshproof.js, the published entry), at every
// stage of a run: 130 after cleanup, and the verdicts kept when the load had already finished.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { waitFor } from '../../src/util/http-json.ts';
import { processesOfRun } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/meshproof.js');
const tmp = mkdtempSync(join(tmpdir(), 'meshproof-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
Reports, on fd 3, the wall-clock time at which the child first runs JavaScript (a preload runs just
before bin/meshproof.js: `js <ms>`), and the moment it first listens for SIGTERM (`armed`, from
bin/meshproof.js's first lines). No program can handle a signal before Node has booted, which takes
30 ms on a quiet machine and 200 ms or more when its cores are busy, nor before it listens.
*/
const PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; writeSync(3, 'js ' + String(performance.timeOrigin + performance.now()) + '\\n');" +
    " const on = process.on; process.on = function (event, listener) { const r = on.call(this, event, listener); if (event === 'SIGTERM') { process.on = on; writeSync(3, 'armed\\n'); } return r; };",
)}`;

interface Trial {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Wall-clock ms when the child first ran JavaScript (NaN if it never did). */
  jsStartedAt: number;
  /** Wall-clock ms when the signal was sent (NaN if it was not). */
  signalledAt: number;
}

/**
Runs `meshproof <args>` and sends `signal` once, when `when` says so (given the ms since spawn, the
output so far, when the child first ran JavaScript (Infinity until it has), and whether it listens for SIGTERM yet).
*/
function runAndSignal(args: string[], signal: NodeJS.Signals, when: (elapsedMs: number, stdout: string, jsStartedAt: number, armed: boolean) => boolean, env: Record<string, string> = {}): Promise<Trial> {
  return new Promise((resolve, reject) => {
    const now = () => performance.timeOrigin + performance.now();
    const spawnedAt = now();
    const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let marker = '';
    let signalledAt = Number.NaN;
    const jsStarted = () => Number(/^js (\S+)$/m.exec(marker)?.[1] ?? Number.NaN);
    const check = () => {
      const js = jsStarted();
      if (Number.isNaN(signalledAt) && child.exitCode === null && when(now() - spawnedAt, stdout, Number.isNaN(js) ? Number.POSITIVE_INFINITY : js, /^armed$/m.test(marker))) {
        signalledAt = now();
        child.kill(signal);
      }
    };
    const poll = setInterval(check, 2);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      check();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => {
      marker += d;
      check();
    });
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meshproof ${args.join(' ')} did not exit within 60s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      clearTimeout(deadline);
      resolve({ code, signal: sig, stdout, stderr, jsStartedAt: jsStarted(), signalledAt });
    });
  });
}

function onlyReport(dir: string): RunResult {
  const folders = readdirSync(dir);
  expect(folders).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, folders[0], 'result.json'), 'utf8')) as RunResult;
}

describe('SIGTERM and SIGINT exit 130 at any point, after cleaning up what started', () => {
  test('SIGTERM as soon as the CLI listens for it, while it is still loading: 130, a line saying nothing had started, nothing left behind', async () => {
    const reports = join(tmp, 'early');
    const state = join(tmp, 'state-early');
    for (let i = 0; i < 3; i++) {
      // The moment bin/meshproof.js listens, before the CLI's own modules have loaded. A fixed time
      // (it was 0.1 s after JavaScript started) stopped being "still loading" once the CLI loaded
      // faster: with a warm compile cache it was already running the scenario by then.
      const t = await runAndSignal(['run', 'scenarios/quickstart.yaml', '--plain', '--reports', reports], 'SIGTERM', (_, __, ___, armed) => armed, { MESHPROOF_STATE_DIR: state });
      expect(t.jsStartedAt, 'the child ran JavaScript before the signal').toBeLessThan(t.signalledAt);
      expect(t.code, t.stderr).toBe(130);
      expect(t.stderr).toBe('meshproof: interrupted by SIGTERM before anything had started\n');
      expect(t.stdout).toBe('');
    }
    expect(existsSync(reports), 'no report folder').toBe(false);
    expect(existsSync(state) ? readdirSync(state) : [], 'no run registered').toEqual([]);
  }, 60_000);

  test('SIGTERM while the CLI loads the scenario (0.6 s): 130, nothing started', async () => {
    const reports = join(tmp, 'loading');
    const t = await runAndSignal(['run', 'scenarios/quickstart.yaml', '--plain', '--reports', reports], 'SIGTERM', (ms) => ms >= 600);
    expect(t.code, t.stderr).toBe(130);
    expect(t.stderr).toMatch(/^meshproof: interrupted by SIGTERM /);
  }, 30_000);

  for (const [stage, marker] of [
    ['while the topology starts', /^▶ /m],
    ['once the topology is ready', /topology ready/],
  ] as const) {
    test(`SIGTERM ${stage}: 130 after teardown, what was measured is reported, no process left`, async () => {
      const reports = join(tmp, stage.replace(/\W+/g, '-'));
      const t = await runAndSignal(['run', 'scenarios/quickstart.yaml', '--plain', '--reports', reports], 'SIGTERM', (_, out) => marker.test(out));
      expect(t.code, t.stdout + t.stderr).toBe(130);
      expect(t.stderr).toContain('meshproof: interrupted by SIGTERM before the end of its load: what was measured until then is reported, and everything the run started was stopped');
      const result = onlyReport(reports);
      expect(result.error).toMatch(/interrupted/);
      await waitFor(() => (processesOfRun(result.runId).length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, describe: () => `processes of the run left: ${processesOfRun(result.runId).join(', ')}` });
    }, 60_000);
  }

  test('SIGINT after the load finished: 130, and it says so; the verdicts are printed and written as a complete run', async () => {
    const reports = join(tmp, 'after-load');
    const t = await runAndSignal(['run', 'scenarios/quickstart.yaml', '--duration', '3s', '--plain', '--reports', reports], 'SIGINT', (_, out) => /load finished: \d+ requests/.test(out));
    expect(t.code, t.stdout + t.stderr).toBe(130);
    expect(t.stderr).toContain('meshproof: interrupted by SIGINT after the load had finished: every request was measured, and the verdicts above stand');
    expect(t.stderr).not.toContain('before the end of its load');
    const result = onlyReport(reports);
    expect(result.error).toBeNull();
    expect(result.load.requests).toBeGreaterThan(0);
    expect(result.verdicts).toHaveLength(result.scenario.expect.length);
    // The summary with every verdict was printed before the exit.
    for (const v of result.verdicts) expect(t.stdout).toContain(v.expectation.text);
    await waitFor(() => (processesOfRun(result.runId).length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, describe: () => `processes of the run left: ${processesOfRun(result.runId).join(', ')}` });
  }, 60_000);
});

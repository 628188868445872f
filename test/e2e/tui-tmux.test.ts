import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { CLI, processesOfRun, ROOT } from '../helpers/cli.ts';

/*
The real `meshproof run` on a real terminal: tmux gives it a 100×30 pty, keys go in with send-keys
and the screen comes out with capture-pane. Each test has its own tmux server on a socket in the
test's temporary folder (-S), so nothing here touches a person's sessions; the servers are killed
and their sockets removed at the end.
*/

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skipReason = hasTmux ? false : 'tmux is not installed (apt-get install -y tmux): the live view was not tested on a real terminal';
/** A skipped test carries its reason in its name (vitest's skip takes no reason). */
const named = (name: string) => (skipReason ? `${name} [skipped: ${skipReason}]` : name);
const skip = skipReason !== false;

const FIXTURE = join(ROOT, 'test/e2e/fixtures/tui-outlier.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'meshproof-tui-'));
const sockets: string[] = [];
afterAll(() => {
  for (const s of sockets) spawnSync('tmux', ['-S', s, 'kill-server']);
  rmSync(tmp, { recursive: true, force: true });
});

interface Terminal {
  /** The visible screen, as text. */
  screen(): string;
  /** The visible screen with its colours and attributes as escape sequences. */
  styled(): string;
  /** null while the command runs; its exit status once it has exited (the pane stays, remain-on-exit). */
  exitStatus(): number | null;
  keys(...keys: string[]): void;
}

/** Starts `meshproof <args>` in a detached 100×30 tmux session, on a terminal as a person would. */
function startInTmux(name: string, args: string[], env: Record<string, string>): Terminal {
  const socket = join(tmp, `${name}.tmux`);
  sockets.push(socket);
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  // The live view is for a person at a terminal: not in CI, not for a dumb terminal.
  delete childEnv.CI;
  if (!env.NO_COLOR) delete childEnv.NO_COLOR;
  childEnv.TERM = 'xterm-256color';
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  // The shell that runs it records its exit code: tmux's own pane_dead_status is not reliable (the pane
  // can read as dead, its tty closed, before tmux has reaped the process and knows its status).
  const exitFile = join(tmp, `${name}.exit`);
  const command = `${[process.execPath, CLI, ...args].map(quote).join(' ')}; echo "$?" > ${quote(exitFile)}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-S', socket, ...a], { encoding: 'utf8', env: childEnv as NodeJS.ProcessEnv, cwd: ROOT });
  // remain-on-exit keeps the pane after the command ends, so its last screen can be read.
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '100', '-y', '30', '-c', ROOT, command, ';', 'set-option', '-w', '-t', name, 'remain-on-exit', 'on');
  return {
    // -J joins lines the terminal wrapped, so a long summary line reads whole; -S - includes what scrolled off the top.
    screen: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name),
    styled: () => tmux('capture-pane', '-p', '-e', '-t', name),
    exitStatus: () => {
      const text = existsSync(exitFile) ? readFileSync(exitFile, 'utf8').trim() : '';
      return /^\d+$/.test(text) ? Number(text) : null;
    },
    keys: (...k) => void tmux('send-keys', '-t', name, ...k),
  };
}

/** Polls the screen until `pattern` is on it; fails with the last screen seen. */
async function waitForScreen(term: Terminal, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = term.screen();
    if (pattern.test(last)) return last;
    if (term.exitStatus() !== null && !pattern.test(last)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  last = term.screen();
  if (pattern.test(last)) return last;
  assert.fail(`${what}: ${pattern} not on the screen within ${timeoutMs}ms. Last screen:\n${last}`);
}

/** An SGR sequence that sets a foreground colour (16, 256 or true colour). */
const COLOUR = /\x1b\[(?:\d+;)*(?:3[0-7]|9[0-7]|38)(?:;\d+)*m/;

async function waitForExit(term: Terminal, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = term.exitStatus();
    if (s !== null) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`meshproof did not exit within ${timeoutMs}ms. Screen:\n${term.screen()}`);
}

function onlyResult(reports: string): RunResult {
  const folders = readdirSync(reports);
  assert.equal(folders.length, 1, `one report folder: ${folders.join(', ')}`);
  return JSON.parse(readFileSync(join(reports, folders[0], 'result.json'), 'utf8')) as RunResult;
}

test(named('the live view on a terminal: the topology, the fault as it happens, then the final verdicts and the report folder'), { skip, timeout: 90_000 }, async () => {
  const reports = join(tmp, 'full');
  const term = startInTmux('full', ['run', FIXTURE, '--duration', '8s', '--reports', reports], { MESHPROOF_STATE_DIR: join(tmp, 'state-full'), NO_COLOR: '1' });

  // The topology is drawn from the scenario before anything runs: services, instances, the edge.
  const first = await waitForScreen(term, /TOPOLOGY/, 30_000, 'the live view starts');
  assert.match(first, /meshproof · tui-outlier/);
  assert.match(first, /client → front/);
  assert.match(first, /→ store/);
  for (const i of ['front-0', 'store-0', 'store-1', 'store-2']) assert.match(first, new RegExp(`${i}\\b`), i);
  assert.match(first, /store1-errors store-1: abort 503/, 'the fault schedule');
  assert.match(first, /EXPECTATIONS/);

  // Live figures, then the fault taking effect, named in the event log.
  await waitForScreen(term, /● load/, 40_000, 'the load starts');
  const faulted = await waitForScreen(term, /fault store1-errors started/, 30_000, 'the fault is applied');
  assert.match(faulted, /client → front(?: mTLS(?: [\d.]+%)?| plain)?\s+\d+/, 'the edge has a live rps figure');
  assert.doesNotMatch(term.styled(), COLOUR, 'NO_COLOR: no colours, the marks and words carry the states');

  // The final frame: the run's verdict in the header and every expectation settled, before the view closes.
  // On a machine too busy to judge, a verdict may be inconclusive (exit 3 when none failed).
  const final = await waitForScreen(term, /^meshproof · tui-outlier {2}[✔✘?] (passed|failed|inconclusive)/m, 60_000, 'the final frame');
  assert.match(final, /^EXPECTATIONS {2}\d+ (held|broken|inconclusive)/m);
  assert.doesNotMatch(final, /^(… pending|◐ holding|▲ at risk)/m, 'nothing is left pending');
  const code = await waitForExit(term, 60_000);
  const result = onlyResult(reports);
  // As the CLI decides: 2 when the run itself broke, else 0, 1, or 3 when none failed and some could not be judged.
  const onlyInconclusive = !result.passed && result.verdicts.some((v) => v.status === 'inconclusive') && result.verdicts.every((v) => v.status === 'held' || v.status === 'inconclusive');
  assert.equal(code, result.error ? 2 : result.passed ? 0 : onlyInconclusive ? 3 : 1, `exit code follows the result (error: ${result.error}, passed: ${result.passed}):\n${term.screen()}`);
  const headline = /^meshproof · tui-outlier {2}[✔✘?] (passed|failed|inconclusive)/m.exec(final)![1];
  assert.equal(headline, result.passed ? 'passed' : onlyInconclusive ? 'inconclusive' : 'failed', 'the header says what the run came to');
  // The live view gave the terminal back; the final verdicts and the report folder are on the screen.
  const end = term.screen();
  for (const v of result.verdicts) {
    const mark = v.status === 'held' ? '✔ held' : v.status === 'failed' ? '✘ failed' : v.status === 'inconclusive' ? '\\? inconclusive' : '✘ no data';
    assert.ok(end.split('\n').some((l) => new RegExp(`^${mark}\\s+`).test(l) && l.includes(`${v.expectation.text} — `)), `${mark} ${v.expectation.text} is on the screen:\n${end}`);
  }
  assert.match(end, /^\d+ held, \d+ failed.* — tui-outlier$/m);
  assert.match(end, new RegExp(`^Report: ${reports.replace(/[.]/g, '\\.')}/\\d{8}-\\d{6}-tui-outlier`, 'm'));
  assert.doesNotMatch(end, /TOPOLOGY/, 'the alternate screen is gone');
  assert.deepEqual(processesOfRun(result.runId), []);
});

// Ctrl-C on a terminal in raw mode is a key, not a SIGINT to the whole process group: the run's own
// processes must not be killed under the harness, which stops them itself.
for (const [key, name] of [['q', 'q'], ['C-c', 'ctrl-c']] as const) {
  test(named(`${name} mid-run: the run stops with full cleanup, exit 130, nothing left running`), { skip, timeout: 90_000 }, async () => {
    const reports = join(tmp, `quit-${name}`);
    const state = join(tmp, `state-quit-${name}`);
    const term = startInTmux(`quit-${name}`, ['run', FIXTURE, '--duration', '30s', '--reports', reports], { MESHPROOF_STATE_DIR: state });
    const loading = await waitForScreen(term, /● load/, 60_000, 'the load starts');
    assert.match(term.styled(), COLOUR, 'without NO_COLOR, states are coloured');
    const runId = /run ([a-z0-9]+-[0-9a-f]{6}) starting/.exec(loading)?.[1];
    assert.ok(runId, `the run id is in the event log:\n${loading}`);
    assert.ok(processesOfRun(runId).length > 0, `the run has processes before ${name}`);
    term.keys(key);
    const code = await waitForExit(term, 40_000);
    assert.equal(code, 130, term.screen());
    assert.deepEqual(processesOfRun(runId), [], 'no process of the run is left');
    assert.deepEqual(existsSync(state) ? readdirSync(state).filter((f) => f.startsWith(runId)) : [], [], 'the run registry was closed');
    const result = onlyResult(reports);
    assert.equal(result.runId, runId);
    assert.match(result.error ?? '', /interrupted/);
    assert.match(term.screen(), /the run did not complete: interrupted/);
  });
}

import { afterEach, describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { h } from '../../src/tui/components/h.ts';
import { LiveApp } from '../../src/tui/live-app.ts';
import { startLiveView } from '../../src/tui/live-view.ts';
import type { RunViewState } from '../../src/tui/state/run-view-state.ts';
import { outlierScenario, scriptedEnd, scriptedRun } from './fixtures.ts';
import { assertFits, eventually, FakeStdin, FakeStdout, frameLines, KEY, settle, stateAfter } from './helpers.ts';

afterEach(() => cleanup());

function app(state: RunViewState, onQuit = () => {}, columns = 80, rows = 24) {
  return render(h(LiveApp, { state, columns, rows, color: false, onQuit }));
}

const text = (frame: string | undefined) => frameLines(frame).join('\n');

describe('LiveApp keys', () => {
  it('? shows the help, ? again (or esc) hides it', async () => {
    const { stdin, lastFrame } = app(stateAfter(scriptedRun(6)));
    assert.doesNotMatch(text(lastFrame()), /^HELP/m);
    stdin.write('?');
    await eventually(() => assert.match(text(lastFrame()), /^HELP {2}press \? or esc to close/m));
    assert.match(text(lastFrame()), /q {2}ctrl-c\s+stop the run/);
    assertFits(lastFrame(), 80, 24);
    stdin.write('?');
    await eventually(() => assert.doesNotMatch(text(lastFrame()), /^HELP/m));
    stdin.write('?');
    await eventually(() => assert.match(text(lastFrame()), /^HELP/m));
    stdin.write(KEY.escape);
    await eventually(() => assert.doesNotMatch(text(lastFrame()), /^HELP/m));
  });

  it('arrows move the selection over services and instances, and show the details of what is selected', async () => {
    const { stdin, lastFrame } = app(stateAfter(scriptedRun(7)));
    assert.match(text(lastFrame()), /▸ gateway/, 'the first service is selected to begin with');
    assert.doesNotMatch(text(lastFrame()), /^DETAILS/m);
    stdin.write(KEY.down);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS gateway-0 \(gateway\) ✔ healthy/m));
    stdin.write(KEY.right); // next service
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS checkout · 1 instance · called by gateway · calls payments/m));
    stdin.write(KEY.right);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS payments · 3 instances/m));
    stdin.write(KEY.down);
    stdin.write(KEY.down);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS payments-1 \(payments\) ⊘ ejected since 5\.4s/m));
    assert.match(text(lastFrame()), /^why {6}payments-1 ejected: 5 consecutive 5xx \(last 503\), outlierDetection\.con/m, 'cut to the pane, not wrapped');
    assertFits(lastFrame(), 80, 24);
    stdin.write(KEY.left); // back to its service
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS payments · 3 instances/m));
    stdin.write(KEY.up);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS checkout-0/m));
    stdin.write(KEY.escape);
    await eventually(() => assert.doesNotMatch(text(lastFrame()), /^DETAILS/m));
    assert.match(text(lastFrame()), /^EVENTS/m, 'the event log is back');
    stdin.write(KEY.enter);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS checkout-0/m));
  });

  it('the selection stops at the ends', async () => {
    const { stdin, lastFrame } = app(stateAfter(scriptedRun(2)));
    stdin.write(KEY.up);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS gateway ·/m));
    for (let i = 0; i < 12; i++) stdin.write(KEY.down);
    await eventually(() => assert.match(text(lastFrame()), /^DETAILS payments-2/m));
  });

  it('q asks to quit, once; the header says the run is being stopped', async () => {
    let quits = 0;
    const { stdin, lastFrame } = app(stateAfter(scriptedRun(3)), () => quits++);
    stdin.write('q');
    await eventually(() => assert.match(text(lastFrame()), /■ stopping: cleaning up…/));
    assert.equal(quits, 1);
    stdin.write('q');
    stdin.write('\u0003'); // Ctrl-C
    // Keys are handled in order: once a later key has taken effect, so have these two.
    stdin.write('?');
    await eventually(() => assert.match(text(lastFrame()), /^HELP/m));
    assert.equal(quits, 1);
  });

  it('Ctrl-C is a key in raw mode: it asks to quit the same way', async () => {
    let quits = 0;
    const { stdin } = app(stateAfter(scriptedRun(3)), () => quits++);
    stdin.write('\u0003');
    await eventually(() => assert.equal(quits, 1));
  });
});

describe('startLiveView', () => {
  function start(columns = 80, rows = 24) {
    const stdout = new FakeStdout(columns, rows);
    const stdin = new FakeStdin();
    let quits = 0;
    const view = startLiveView({
      scenario: outlierScenario(),
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      onQuit: () => quits++,
      color: false,
      debug: true,
      alternateScreen: false,
    });
    return { stdout, stdin, view, quits: () => quits };
  }

  it('draws the topology before any event, follows a scripted run, and leaves the final frame on close', async () => {
    const { stdout, view } = start();
    assert.match(text(stdout.lastFrame()), /○ starting/);
    assert.match(text(stdout.lastFrame()), /^TOPOLOGY/m);
    for (const e of scriptedRun(30)) view.onEvent(e);
    for (const e of scriptedEnd(outlierScenario())) view.onEvent(e);
    await view.close();
    const last = text(stdout.lastFrame());
    assert.match(last, /✘ failed/);
    assert.match(last, /^✘ broken\s+p99\(client\) < 250ms\s+312ms$/m);
    assert.match(last, /run failed: 4 held, 1 broken; report in reports\/20260101-payments-outli/, 'the log line is cut to 80 columns');
    assertFits(stdout.lastFrame(), 80, 24);
    await view.close(); // twice is fine
  });

  it('redraws at most about maxFps times a second however many events come', async () => {
    const { stdout, view } = start();
    const before = stdout.writes.length;
    for (let k = 0; k < 20; k++) for (const e of scriptedRun(30)) view.onEvent(e);
    await settle(250);
    const frames = stdout.writes.length - before;
    assert.ok(frames >= 1 && frames <= 5, `${frames} frames for ${20 * scriptedRun(30).length} events in 250ms`);
    await view.close();
  });

  it('follows a resize: more rows and columns, more shown', async () => {
    const { stdout, view } = start(80, 24);
    for (const e of scriptedRun(12)) view.onEvent(e);
    await eventually(() => assert.match(text(stdout.lastFrame()), /⊘payments-1 ejected/));
    assert.doesNotMatch(text(stdout.lastFrame()), /^DETAILS/m);
    stdout.resize(140, 40);
    await eventually(() => assert.match(text(stdout.lastFrame()), /DETAILS gateway/));
    assertFits(stdout.lastFrame(), 140, 40);
    await view.close();
  });

  it('q calls onQuit once; events keep coming until close', async () => {
    const { stdout, stdin, view, quits } = start();
    for (const e of scriptedRun(3)) view.onEvent(e);
    await settle();
    stdin.write('q');
    await eventually(() => assert.equal(quits(), 1));
    await eventually(() => assert.match(text(stdout.lastFrame()), /stopping: cleaning up/));
    view.onEvent({ type: 'teardown', at: Date.now(), stopped: 11 });
    await view.close();
    assert.match(text(stdout.lastFrame()), /teardown: 11 processes stopped/);
    assert.equal(quits(), 1);
  });

  it('NO_COLOR: no colour codes, and the marks and words still say everything', async () => {
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const stdout = new FakeStdout(80, 24);
      const view = startLiveView({ scenario: outlierScenario(), stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, onQuit: () => {}, debug: true, alternateScreen: false });
      for (const e of scriptedRun(6)) view.onEvent(e);
      await view.close();
      assert.doesNotMatch(stdout.lastFrame(), /\x1b\[3\dm/);
      assert.match(stdout.lastFrame(), /⊘payments-1 ejected/);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});

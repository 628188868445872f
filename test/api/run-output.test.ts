import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { startRunOutput } from '../../src/api/run-output.ts';
import type { RunOutcome } from '../../src/engine/run-scenario.ts';
import { exampleResult } from '../report/helpers.ts';
import { FakeStdin, FakeStdout, frameLines } from '../tui/helpers.ts';
import { outlierScenario, scriptedEnd, scriptedRun } from '../tui/fixtures.ts';

const outcome = (interrupted = false): RunOutcome => ({ result: exampleResult(), reportDir: '/tmp/reports/20260314-092651-store-slow-replica', interrupted, loadFinished: !interrupted });

function lines() {
  const out: string[] = [];
  return { out, write: (l: string) => void out.push(l) };
}

describe('startRunOutput', () => {
  it('json: every event as one JSON line, then the result line; no live stats asked for', async () => {
    const { out, write } = lines();
    const o = await startRunOutput('json', outlierScenario(), { out: write, color: false, onQuit: () => {}, signal: new AbortController().signal });
    assert.equal(o.liveStats, false);
    for (const e of scriptedRun(2)) o.onEvent(e);
    await o.finish(outcome());
    assert.equal(out.length, scriptedRun(2).length + 1);
    assert.deepEqual(JSON.parse(out[0]), scriptedRun(2)[0]);
    const last = JSON.parse(out[out.length - 1]);
    assert.equal(last.type, 'result');
    assert.equal(last.reportDir, '/tmp/reports/20260314-092651-store-slow-replica');
    assert.equal(last.result.runId, exampleResult().runId);
  });

  it('plain: progress lines, then the summary with the report folder; nothing more when the run threw', async () => {
    const { out, write } = lines();
    const o = await startRunOutput('plain', outlierScenario(), { out: write, color: false, onQuit: () => {}, signal: new AbortController().signal });
    for (const e of scriptedRun(2)) o.onEvent(e);
    assert.match(out.join('\n'), /^▶ payments-outlier-ejection \(run /m);
    await o.finish(outcome());
    assert.match(out[out.length - 1], /Report: \/tmp\/reports\/20260314-092651-store-slow-replica$/);
    const before = out.length;
    await o.finish(null);
    assert.equal(out.length, before);
  });

  function live(lingerMs: number) {
    const stdout = new FakeStdout(80, 24);
    const controller = new AbortController();
    const { out, write } = lines();
    const started = startRunOutput('live', outlierScenario(), {
      out: write,
      color: false,
      onQuit: () => controller.abort(),
      signal: controller.signal,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
      lingerMs,
    });
    return { stdout, controller, out, started };
  }

  it('live: live stats on; the final frame stays up for the linger, then the terminal is given back and the summary printed', async () => {
    const { stdout, out, started } = live(300);
    const o = await started;
    assert.equal(o.liveStats, true);
    for (const e of [...scriptedRun(30), ...scriptedEnd(outlierScenario())]) o.onEvent(e);
    const t = Date.now();
    await o.finish(outcome());
    const waited = Date.now() - t;
    assert.ok(waited >= 290, `lingered ${waited}ms`);
    assert.match(frameLines(stdout.lastFrame()).join('\n'), /✘ failed/);
    assert.match(out.join('\n'), /Report: \/tmp\/reports\/20260314-092651-store-slow-replica/);
  });

  it('live: q on the final frame ends the linger at once', async () => {
    const { controller, started } = live(60_000);
    const o = await started;
    for (const e of [...scriptedRun(30), ...scriptedEnd(outlierScenario())]) o.onEvent(e);
    const finishing = o.finish(outcome());
    setTimeout(() => controller.abort(), 50);
    const t = Date.now();
    await finishing;
    assert.ok(Date.now() - t < 5000);
  });

  it('live: an interrupted run does not linger', async () => {
    const { started, out } = live(60_000);
    const o = await started;
    const t = Date.now();
    await o.finish(outcome(true));
    assert.ok(Date.now() - t < 5000);
    assert.ok(out.length > 0, 'the summary is printed');
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'vitest';
import { judgeArrivals, type ArrivalJudgment } from '../../bench/arrival-judgment.ts';
import { startKernelStampRecorder } from '../../bench/arrival-recorder.ts';
import { LOAD_GOALS, loadShortfalls, type LoadHonesty } from '../../src/load/load-honesty.ts';
import { monotonicMs } from '../../src/load/pacer.ts';
import { RemoteLoadGenerator } from '../../src/load/remote-load-generator.ts';
import type { Arrivals } from '../../src/scenario/scenario.ts';

/**
The promises of an open-loop load, measured where the mesh would see them: the load generator's own
process (as a run starts it) sends to a server on loopback that records when each request arrives.

The server stamps each request with the kernel's receive time (SO_TIMESTAMPNS, a python3 process:
bench/kernel-stamp-recorder.py), so no pause of a receiving thread is in the figures. No sender is
more punctual than the machine lets it be, and the machine is shared. So the goals are judged over the
requests the machine let through on time (bench/arrival-judgment.ts): the load keeps a trace of every
request (how long the machine kept the thread that writes it from running: waiting for a core, or
woken after its due time), and a request the machine held up, there or between the write and the
stamp (the kernel's loopback receive path), is excused:
the gaps and 10 ms windows touching it are left out. Nothing else is: a
request sent late while its thread ran (reading responses, a garbage collection), or dropped as late
for that, counts against the load. At 100/s the goals (LOAD_GOALS) are the assertions: uniform with
an inter-arrival CV of at most 0.1 and no 10 ms window over twice the expected count, Poisson with a
CV between 0.9 and 1.1, the requests sent within 1% of those scheduled. At 2000/s the rate is
asserted, the CV and the busiest window against guards (CV_2000_GUARD and after), and the distance
to each goal is said.

An attempt is conclusive when at least MIN_COVERAGE of its gaps are judged. Other work on the cores
can hold up the load's threads for most of an attempt; an attempt that is not conclusive but close is
made once more, and when none is, the test checks what holds whatever the machine does (the load's account
is exact, its shortfalls name every late drop) and says, with the figures, that the goals were not
judged (a warning, and the test's annotation).
*/


const ATTEMPTS = 2;
/** A thread the machine kept from running (or woke) later than this while a request passed through it excuses the request, ms: at 2000/s, half a gap. */
const SLACK_MS = 0.25;
/**
The goals at 2000/s are reported by every run, not asserted: no thread keeps them on this machine's
kind. It is a virtual machine (kvm-clock, a Firecracker kernel) whose host runs a virtual CPU late
now and then, which the guest's kernel does not count as a wait, per virtual CPU: a thread that does
nothing but wake every 0.5 ms (an allocation-free probe on an absolute schedule, docs/load.md; the
machine otherwise quiet) is
judged at CV 0.08–0.49 at 2000/s, two such threads at once differ by up to 6× in the same seconds,
and their late wake-ups coincide in time in 2–5 of 14–23 where they run on different cores, 9–11 of
16–17 on the same one. The socket sender counts its own oversleeping (LoadTrace.waitMs), so
what is judged is what it did with the time it had; the rest, a late wake-up while it ran, cannot
be told from its own work. At 2000/s these bounds guard against a regression to bunching (a
timer-paced sender: CV 1.3–8.3, docs/load.md), from what was measured: without real-time priority
CV 0.14–0.39 here and 0.65 on a CI machine (before oversleeping was excused), with it 0.10–0.22
here and 0.53 there.
*/
const CV_2000_GUARD = 0.8;
const CV_2000_REALTIME_GUARD = 0.6;
/** Poisson at 2000/s: CV 1.03–1.10 here, 1.25 on a CI machine (before oversleeping was excused); the goal is 0.9–1.1. */
const POISSON_CV_2000_GUARD: readonly [number, number] = [0.8, 1.5];
/** At 2000/s the busiest 10 ms window against the expected count: up to 2.0 here, the goal is 2. */
const WINDOW_RATIO_2000_GUARD = 3;
/** The share of gaps that must be judged for an attempt to count: a busy machine excuses many requests, and 60% of 400 gaps still make a CV. */
const MIN_COVERAGE = 0.6;
/** Below this share, the machine is too busy for another attempt to fare better. */
const RETRY_COVERAGE = 0.4;

/** Says how far a figure is from its goal, where it is: a warning and the test's annotation. */
function goalOpen(ctx: { annotate?: (m: string) => unknown }, what: string): void {
  const open = `goal open: ${what}`;
  console.warn(open);
  void ctx.annotate?.(open);
}

/** Uniform 2000/s: the busiest window and the CV against their guards, and the distance to each goal said. */
function uniform2000(ctx: { annotate?: (m: string) => unknown }, judged: ArrivalJudgment, note: string, cvGuard: number, what: string): void {
  assert.ok(judged.windowRatio <= WINDOW_RATIO_2000_GUARD, `busiest window (${WINDOW_RATIO_2000_GUARD} the guard, ${LOAD_GOALS.maxWindowRatio} the goal): ${note}`);
  assert.ok(judged.cv <= cvGuard, `CV (${cvGuard} the guard, ${LOAD_GOALS.uniformMaxCv} the goal): ${note}`);
  if (judged.cv > LOAD_GOALS.uniformMaxCv || judged.windowRatio > LOAD_GOALS.maxWindowRatio)
    goalOpen(ctx, `${what} over the requests the machine let through on time: CV ${judged.cv.toFixed(2)} (${LOAD_GOALS.uniformMaxCv} the goal), busiest window ${judged.windowRatio.toFixed(2)}× (${LOAD_GOALS.maxWindowRatio}×)`);
}

interface Attempt {
  h: LoadHonesty;
  judged: ArrivalJudgment;
  arrived: number;
  expected: number;
  note: string;
  /** What the kernel granted the sender's thread (LoadSummary.sender.priority). */
  priority: string | null;
}

async function attempt(arrivals: Arrivals, rate: number, durationMs: number, realtime = false): Promise<Attempt> {
  // A recorder per attempt: it hands over its stamps when it stops.
  const server = await startKernelStampRecorder();
  const load = new RemoteLoadGenerator({
    url: server.url,
    trace: true,
    realtime,
    plan: { target: 'front', host: 'front', path: '/', model: 'open', arrivals, seed: 11, connections: Math.max(10, Math.ceil(rate / 10)), durationMs, phases: [{ startMs: 0, durationMs, rate }] },
  });
  await load.prepare();
  // A second of warm-up (as a run has) opens the connections; its requests arrive before `start`.
  const t0 = Date.now() + 1000;
  const start = monotonicMs() + (t0 - Date.now());
  const { summary } = await load.run(t0).finally(() => server.close());
  let first = 0;
  while (first < server.arrivals.length && server.arrivals[first] < start - 2) first++;
  const got = server.arrivals.slice(first).map((a) => a - start);
  const waits = server.waits.slice(first);
  const h = summary.honesty;
  // The load process times its own event loop over the load (RunHealth.loadLoop): a 10 ms timer, so about durationMs / 10 samples.
  assert.ok(summary.loopDelay && summary.loopDelay.samples >= durationMs / 20, `the load process measured its loop: ${JSON.stringify(summary.loopDelay)}`);
  // The trace has every request of the schedule, and the pacer's record of each.
  const trace = summary.trace!;
  assert.equal(trace.intendedMs.length, h.intended);
  assert.ok(trace.pacerLateMs.every((x) => x !== null) && trace.waitMs?.length === h.intended, 'the pacer and the kernel kept their records');
  const expected = arrivals === 'uniform' ? (rate * durationMs) / 1000 : h.intended!;
  assert.equal(got.length, h.sent, `the server got what the load says it sent (${got.length} of ${h.sent})`);
  const judged = judgeArrivals({ trace, arrivals: got, recorderWaits: waits, stampedByKernel: true, rate, expected, slackMs: SLACK_MS });
  const f = (x: number) => x.toFixed(2);
  const note =
    `${arrivals} ${rate}/s: judged ${judged.gaps} gaps (${(judged.coverage * 100).toFixed(1)}%; the machine held up ${judged.excused.pacer} requests in the pacer, ` +
    `${judged.excused.sender} in the sender, ${judged.excused.recorder} in the kernel's receive path): CV ${f(judged.cv)}, busiest 10 ms ${judged.busiest} where ${judged.expectedPerWindow} expected, ` +
    `counted ${(judged.countedRatio * 100).toFixed(2)}% of ${expected}; the sender reached each request p50 ${f(judged.handOff.p50)} ms, p99 ${f(judged.handOff.p99)} ms, max ${f(judged.handOff.max)} ms after its time, and delivery (send to stamp) took p50 ${f(judged.delivery.p50)} ms, p99 ${f(judged.delivery.p99)} ms, max ${f(judged.delivery.max)} ms; ` +
    `sender ${JSON.stringify(summary.sender)}; ` +
    `the load said sent ${h.sent}, dropped ${JSON.stringify(h.dropped)}, CV ${h.interArrivalCv?.toFixed(2)}, lateness ${JSON.stringify(h.lateness)}; ` +
    `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`;
  return { h, judged, arrived: got.length, expected, note, priority: summary.sender?.priority ?? null };
}

/** Measures until an attempt is conclusive; returns it, or null (with every attempt) when none was. */
async function measure(arrivals: Arrivals, rate: number, durationMs: number, realtime = false): Promise<{ ok: Attempt | null; all: Attempt[] }> {
  const all: Attempt[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const a = await attempt(arrivals, rate, durationMs, realtime);
    all.push(a);
    // Whatever the machine does, the load's account is exact (what it says it sent arrived: checked in attempt).
    assert.equal(a.h.intended, a.h.sent + a.h.dropped.total);
    // Whenever it dropped requests as late, it says so.
    if (a.h.dropped.late > 0) assert.match(loadShortfalls(a.h).join('; '), new RegExp(`${a.h.dropped.late} late`), a.note);
    console.log(a.note);
    if (a.judged.coverage >= MIN_COVERAGE) return { ok: a, all };
    // A machine that held up most of an attempt will hold up the next (a busy minute): not worth its seconds.
    if (a.judged.coverage < RETRY_COVERAGE) break;
  }
  return { ok: null, all };
}

/** Not a pass and not a skip: the account was checked, the goals not judged; says so with the figures. */
function inconclusive(ctx: { annotate?: (m: string) => unknown }, all: Attempt[]): void {
  const best = all.reduce((a, b) => (b.judged.coverage > a.judged.coverage ? b : a));
  const why = `goals not judged: in ${all.length} attempts the machine let at most ${(best.judged.coverage * 100).toFixed(1)}% of the gaps through on time (at least ${MIN_COVERAGE * 100}% needed); the load's account was checked. Best attempt: ${best.note}`;
  console.warn(why);
  void ctx.annotate?.(why);
}

describe('uniform arrivals', () => {
  for (const [rate, durationMs] of [
    [100, 4000],
    [2000, 4000],
  ] as const) {
    test(`${rate}/s: evenly spaced at the server, at the declared rate, with no burst`, { timeout: 60_000 }, async (ctx) => {
      const { ok, all } = await measure('uniform', rate, durationMs);
      if (!ok) return inconclusive(ctx, all);
      const { h, judged, note } = ok;
      assert.equal(h.dropped.cap, 0, note);
      assert.ok(Math.abs(judged.countedRatio - 1) <= LOAD_GOALS.rateTolerance, `rate: ${note}`);
      if (rate < 2000) {
        assert.ok(judged.windowRatio <= LOAD_GOALS.maxWindowRatio, `busiest window: ${note}`);
        return assert.ok(judged.cv <= LOAD_GOALS.uniformMaxCv, `CV: ${note}`);
      }
      uniform2000(ctx, judged, note, CV_2000_GUARD, 'uniform 2000/s');
    });
  }
});

describe('uniform arrivals, the sender at real-time priority (MESHPROOF_LOAD_REALTIME=1)', () => {
  test('2000/s: evenly spaced at the kernel, at the declared rate, with no burst', { timeout: 60_000 }, async (ctx) => {
    const { ok, all } = await measure('uniform', 2000, 4000, true);
    // Where the kernel refuses the priority (no root, no CAP_SYS_NICE), the run says so; this test can then judge nothing the one above does not.
    const refused = all.find((a) => !a.priority?.startsWith('SCHED_FIFO'));
    if (refused) {
      const why = `real-time priority not granted (${refused.priority}): the goal at 2000/s was not judged`;
      console.warn(why);
      return void ctx.annotate?.(why);
    }
    if (!ok) return inconclusive(ctx, all);
    const { h, judged, note } = ok;
    assert.equal(h.dropped.cap, 0, note);
    assert.ok(Math.abs(judged.countedRatio - 1) <= LOAD_GOALS.rateTolerance, `rate: ${note}`);
    uniform2000(ctx, judged, note, CV_2000_REALTIME_GUARD, 'uniform 2000/s at real-time priority');
  });
});

describe('poisson arrivals', () => {
  for (const [rate, durationMs] of [
    [100, 6000],
    [2000, 4000],
  ] as const) {
    test(`${rate}/s: exponential gaps at the server (CV near 1), at the declared mean rate`, { timeout: 60_000 }, async (ctx) => {
      const { ok, all } = await measure('poisson', rate, durationMs);
      if (!ok) return inconclusive(ctx, all);
      const { h, judged, expected, note } = ok;
      // The seeded schedule is fixed; what the load counts (sent, and dropped only where the machine delayed the pacer) is all of it.
      assert.equal(h.dropped.cap, 0, note);
      assert.ok(Math.abs(judged.countedRatio - 1) <= LOAD_GOALS.rateTolerance, `${expected} scheduled: ${note}`);
      const [lo, hi] = LOAD_GOALS.poissonCv;
      if (rate < 2000) return assert.ok(judged.cv >= lo && judged.cv <= hi, `CV: ${note}`);
      const [glo, ghi] = POISSON_CV_2000_GUARD;
      assert.ok(judged.cv >= glo && judged.cv <= ghi, `CV (${glo}–${ghi} the guard, ${lo}–${hi} the goal): ${note}`);
      if (judged.cv < lo || judged.cv > hi) goalOpen(ctx, `poisson 2000/s over the requests the machine let through on time: CV ${judged.cv.toFixed(2)} (${lo}–${hi} the goal)`);
    });
  }
});

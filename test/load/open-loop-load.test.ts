import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { HttpTarget } from '../../src/load/http-target.ts';
import { OpenLoopLoad } from '../../src/load/open-loop-load.ts';
import { monotonicMs, WorkerPacer, type Pacer, type PacerPlan } from '../../src/load/pacer.ts';
import { ArrivalSchedule } from '../../src/load/arrival-schedule.ts';
import { Histogram } from '../../src/contract/histogram.ts';
import { SeriesRecorder } from '../../src/observe/timeline.ts';
import { seriesKey } from '../../src/contract/series.ts';
import { SocketSender } from '../../src/load/socket-sender.ts';

import { arrivalStats, startRecordingServer, type RecordingServer } from '../../bench/arrival-recorder.ts';

/**
The open-loop dispatcher for real, both ways it sends: a pacer thread waking the main thread, which
sends through undici (`undici`), and a thread that paces and writes the requests itself
(`socket`, SocketSender); and a server on loopback that records when each request arrives. Timing assertions leave room for a busy 2-core machine: each says which
promise it checks and why its margin is what it is.
*/

/**
An open-loop load on `server`. Tests about the cap or the latency series give the late budget room
(`lateBudgetMs: 100`): on a busy machine this thread, which also runs the server, can be late by
more than the default 10 ms, and those drops would blur what the test counts.
*/
function openLoop(server: RecordingServer, o: { rate: number; durationMs: number; cap: number; drainMs?: number; pacer?: Pacer; lateBudgetMs?: number; via?: Via; trace?: boolean }) {
  const url = new URL(server.url);
  const http = o.via === 'socket' ? null : new HttpTarget({ url: server.url, host: 'front', path: '/', connections: o.cap, timeoutMs: 10_000 });
  const recorder = new SeriesRecorder();
  const load = new OpenLoopLoad({
    pacer,
    ...o,
    target: http ?? { sender, target: { host: url.hostname, port: Number(url.port), hostHeader: 'front', path: '/', timeoutMs: 10_000 } },
    phases: [{ startMs: 0, durationMs: o.durationMs, rate: o.rate }],
    recorder,
  });
  // The socket sender's connections stay with its thread (the next test's play to another port closes them).
  return { load, recorder, target: { destroy: async () => void (await http?.destroy()) } };
}

type Via = 'undici' | 'socket';
const VIAS: Via[] = ['undici', 'socket'];

// One pacer thread and one sender thread for the file, booted before any schedule starts (as the load process does).
let pacer: WorkerPacer;
let sender: SocketSender;
beforeAll(async () => {
  pacer = new WorkerPacer();
  sender = new SocketSender();
  await Promise.all([pacer.ready(), sender.ready()]);
});
afterAll(async () => {
  await pacer.close();
  await sender.close();
});

function latencyOf(recorder: SeriesRecorder, key: string): Histogram {
  const h = new Histogram();
  for (const b of Object.values(recorder.toJSON()[key] ?? {})) h.merge(b.latency);
  return h;
}

/** How long this thread (the dispatcher's, which also runs the test's server) may be held up, ms, for an attempt's timing to be judged. */
const KEPT_TIME_MS = 30;
const ATTEMPTS = 3;

/**
Runs `attempt` until one runs on a machine that kept time (this thread never held up more than
KEPT_TIME_MS: a busy 2-core machine can stop it for hundreds of ms, which no timing assertion
survives) and returns it for judging. `always` checks, on every attempt, what holds whatever the
machine does. When none kept time the test is reported skipped with the figures, not passed.
*/
async function whenTimeWasKept<T>(ctx: { skip: (note?: string) => never }, attempt: () => Promise<T>, always: (r: T) => void): Promise<T> {
  const lags: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const result = await attempt();
    loop.disable();
    always(result);
    const lagMs = loop.max / 1e6;
    if (lagMs <= KEPT_TIME_MS) return result;
    lags.push(Math.round(lagMs));
  }
  return ctx.skip(`timing not judged: in ${ATTEMPTS} attempts this thread was held up ${lags.join(', ')} ms (over ${KEPT_TIME_MS} ms); the load's account was checked`);
}

describe.each(VIAS)('drops at the cap of requests in flight (%s)', (via) => {
  let server: RecordingServer;
  let stallUntil = 0;
  beforeAll(async () => {
    // Holds every response until `stallUntil`; answers at once after it.
    server = await startRecordingServer({ delayMs: (at) => Math.max(0, stallUntil - at) });
  });
  afterAll(() => server.close());

  test('a request that finds the cap reached is dropped and counted, never sent later in a burst', async (ctx) => {
    const { h, arrivals } = await whenTimeWasKept(
      ctx,
      async () => {
        const { load, target } = openLoop(server, { rate: 100, durationMs: 1000, cap: 5, lateBudgetMs: 100, via });
        const start = monotonicMs() + 50;
        stallUntil = start + 300;
        const { honesty: h } = await load.run(start);
        await target.destroy();
        return { h, arrivals: server.arrivals.filter((a) => a >= start - 5) };
      },
      ({ h, arrivals }) => {
        assert.equal(h.sent + h.dropped.total, 100);
        assert.equal(arrivals.length, h.sent, 'the server got exactly what the load says it sent');
        assert.ok(h.maxInFlight <= 5);
      },
    );
    // Requests 0–4 go out and hold the 5 slots until 300 ms; 5–29 (50–290 ms) find the cap; 30–99
    // go out on time. The stall's end reaches the load a little late (up to KEPT_TIME_MS), so a few
    // more may find the cap; a send late by scheduling may find a slot already free, so one fewer.
    assert.ok(h.dropped.cap >= 24 && h.dropped.cap <= 40, `dropped: ${JSON.stringify(h.dropped)}`);
    assert.equal(h.dropped.late, 0);
    assert.equal(h.maxInFlight, 5);
    // No catch-up: a dropped request never goes out. After the stall only requests planned after it
    // arrive (70 of them, 300–990 ms); a catch-up would add the 25 dropped ones.
    const after = arrivals.filter((a) => a >= stallUntil + 5);
    assert.ok(after.length <= 70, `${after.length} arrived after the stall; 70 were planned after it`);
    assert.deepEqual(h.perSecond.dropped, [h.dropped.total]);
  });

  test('a server that never answers: the cap goes out, everything else is dropped, and the load stops waiting after drainMs', async () => {
    const silent = await startRecordingServer({ answer: false });
    // A late budget longer than the load: only a thread held up for a whole second could drop a
    // request as late, so every request not sent is one that found the cap.
    const { load, target } = openLoop(silent, { rate: 200, durationMs: 500, cap: 3, drainMs: 100, lateBudgetMs: 1000, via });
    const before = monotonicMs();
    const { honesty: h, requests } = await load.run();
    const took = monotonicMs() - before;
    await target.destroy();
    await silent.close();
    assert.deepEqual([h.sent, h.dropped.cap, h.dropped.late, silent.arrivals.length], [3, 97, 0, 3]);
    assert.equal(h.unfinished, 3);
    assert.equal(requests, 0, 'nothing completed');
    assert.ok(took < 500 + 100 + 400, `run() took ${took} ms for a 500 ms load and a 100 ms drain`);
  });
});

describe.each(VIAS)('latency from the intended send time (%s)', (via) => {
  let server: RecordingServer;
  let stall = { from: 0, to: 0, until: 0 };
  beforeAll(async () => {
    server = await startRecordingServer({ delayMs: (at) => (at >= stall.from && at < stall.to ? stall.until - at : 0) });
  });
  afterAll(() => server.close());

  test('a server that stalls 500 ms: the stall is in the client series (from the intended time), and in client:sent, since every request left on time', async (ctx) => {
    const { h, intended, sent } = await whenTimeWasKept(
      ctx,
      async () => {
        const { load, recorder, target } = openLoop(server, { rate: 100, durationMs: 1500, cap: 200, lateBudgetMs: 100, via });
        const start = monotonicMs() + 50;
        // Requests arriving in [200, 300) ms are answered at 700 ms: they wait 400–500 ms.
        stall = { from: start + 200, to: start + 300, until: start + 700 };
        const { honesty: h } = await load.run(start);
        await target.destroy();
        return { h, intended: latencyOf(recorder, seriesKey.client()), sent: latencyOf(recorder, seriesKey.clientSent()) };
      },
      ({ h, intended, sent }) => {
        // Every request sent was answered, once in each series.
        assert.equal(intended.count, h.sent);
        assert.equal(sent.count, h.sent);
        assert.equal(h.sent + h.dropped.late, 150);
        assert.equal(h.dropped.cap, 0);
      },
    );
    assert.equal(h.sent, 150);
    // About ten requests arrive in the stall; the first of them waits ~500 ms.
    const held = server.arrivals.filter((a) => a >= stall.from && a < stall.to);
    const stalled = held.length;
    assert.ok(stalled >= 3, `${stalled} requests arrived during the stall`);
    // The first one held waited the longest: until 700 ms from its arrival (about 500 ms), plus its
    // send's lateness and the time this thread took to read the answer (each under KEPT_TIME_MS).
    // The server answers on a libuv timer, which counts whole milliseconds and may fire up to 1 ms
    // before a fractional time: the hold can be up to 1 ms shorter than planned (hence the - 2 below).
    const longest = stall.until - held[0];
    assert.ok(intended.max >= longest - 2 && intended.max < longest + 2 * KEPT_TIME_MS, `intended max ${intended.max}, longest hold ${longest}`);
    assert.ok(intended.quantile(1 - (stalled - 1) / intended.count) >= 400, `the ${stalled} stalled requests are the slowest`);
    // Sent on time (open loop: nothing waited for a connection), so the two series differ only by
    // each send's lateness, which is never more than the late budget.
    assert.ok(sent.max >= longest - 2, `sent max ${sent.max}, longest hold ${longest}`);
    assert.ok(intended.max - sent.max <= h.lateBudgetMs!, `${intended.max} vs ${sent.max}`);
    assert.deepEqual([h.latency.intended?.max, h.latency.sent?.max], [intended.max, sent.max]);
  });

  // The late pacer wakes the main thread; the socket sender has no pacer to swap (declared for undici
  // only, rather than reported skipped on the socket path).
  if (via === 'undici') test('a send that goes out late is measured from its intended time in client, from the actual send in client:sent', async (ctx) => {
    // A pacer that wakes the dispatcher 6 ms after each intended time (inside the 10 ms budget at 100/s).
    const LATE = 6;
    const latePacer: Pacer = {
      start(plan: PacerPlan, onDue, onEnd) {
        const s = new ArrivalSchedule(plan.phases, plan.arrivals, plan.seed);
        const next = () => {
          const t = s.next();
          if (t === null) return onEnd();
          // libuv's timers count whole milliseconds, so one may fire up to 1 ms before a fractional
          // time: wait again until the time has really come.
          const at = plan.startAt + t + LATE;
          const wake = () => {
            if (monotonicMs() < at) return void setTimeout(wake, at - monotonicMs());
            onDue(t);
            next();
          };
          wake();
        };
        next();
      },
      stop() {},
    };
    stall = { from: 0, to: 0, until: 0 };
    const { h, intended, sent } = await whenTimeWasKept(
      ctx,
      async () => {
        const { load, recorder, target } = openLoop(server, { rate: 100, durationMs: 500, cap: 10, pacer: latePacer, lateBudgetMs: 100 });
        const { honesty: h } = await load.run();
        await target.destroy();
        return { h, intended: latencyOf(recorder, seriesKey.client()), sent: latencyOf(recorder, seriesKey.clientSent()) };
      },
      ({ h, intended }) => {
        assert.equal(h.sent + h.dropped.late, 50);
        assert.equal(intended.count, h.sent);
      },
    );
    assert.equal(h.sent, 50);
    // Timers fire at or after their time: each send is 6 ms late or more (more on a busy machine).
    assert.ok(h.lateness!.p50 >= LATE - 0.5, `lateness p50 ${h.lateness!.p50}`);
    // On average the intended-time series is later by the sends' lateness (a mean, so between its p50 and p99).
    const gap = intended.mean() - sent.mean();
    assert.ok(gap >= h.lateness!.p50 - 1 && gap <= h.lateness!.p99 + 1, `intended − sent = ${gap} ms; lateness ${JSON.stringify(h.lateness)}`);
  });
});

describe('the generator itself falls behind (undici: the main thread sends)', () => {
  test('requests it reaches past the late budget are dropped as late, not sent together when it catches up', async () => {
    const server = await startRecordingServer();
    const { load, target } = openLoop(server, { rate: 100, durationMs: 1000, cap: 20 });
    const start = monotonicMs() + 50;
    // Block this thread (the dispatcher's) for 200 ms from 300 ms; the pacer thread keeps time.
    setTimeout(() => {
      const end = monotonicMs() + 200;
      while (monotonicMs() < end);
    }, Math.max(0, start + 300 - monotonicMs()));
    const { honesty: h } = await load.run(start);
    await target.destroy();
    await server.close();
    const arrivals = server.arrivals.filter((a) => a >= start - 5);
    // About 20 requests fell due while blocked; all but the last one or two are more than 10 ms late
    // (a busy machine can make a few more late).
    assert.ok(h.dropped.late >= 17, `late drops: ${h.dropped.late}`);
    assert.equal(h.dropped.cap, 0);
    assert.equal(h.sent + h.dropped.late, 100);
    assert.equal(arrivals.length, h.sent);
    assert.ok(arrivalStats(arrivals, 100).busiest <= 3, `busiest 10 ms: ${arrivalStats(arrivals, 100).busiest}`);
    assert.ok(h.lateness!.max <= h.lateBudgetMs!, 'nothing later than the budget was sent');
  });
});

describe('the main thread held up (socket: the sender thread writes)', () => {
  test('sends go out on time while the main thread is blocked, and their responses are counted after it', async (ctx) => {
    const server = await startRecordingServer();
    // The server (this thread) answers nothing for 200 ms: ~21 requests stay in flight, well under the cap.
    const { load } = openLoop(server, { rate: 100, durationMs: 1000, cap: 40, via: 'socket', trace: true });
    const start = monotonicMs() + 50;
    // Block this thread (the main one: it reads the sender's records, and runs the server) for 200 ms from 300 ms.
    setTimeout(() => {
      const end = monotonicMs() + 200;
      while (monotonicMs() < end);
    }, Math.max(0, start + 300 - monotonicMs()));
    const { honesty: h, trace, requests } = await load.run(start);
    await server.close();
    // What holds whatever the machine does: the account, and every request sent answered and counted
    // (the server answers once this thread is free again).
    assert.equal(h.sent + h.dropped.total, 100);
    assert.equal(h.dropped.cap, 0);
    assert.equal(requests, h.sent);
    assert.equal(server.arrivals.filter((a) => a >= start - 5).length, h.sent);
    // The 18 requests due well inside the block: the sender's thread reached each on time (the undici
    // path drops most of them as late, above). One the kernel kept that thread off a core for is
    // excused (its wait for a core covers the lateness); the undici path's are late with the sender
    // running, blocked by this thread.
    const w = trace!.waitMs;
    const rows = trace!.intendedMs.map((t, i) => ({ t, late: trace!.reachedMs[i] - t, heldMs: w && i > 0 ? w[i] - w[i - 1] : 0 }));
    const inBlock = rows.filter((r) => r.t >= 310 && r.t < 490);
    assert.equal(inBlock.length, 18);
    const lateRows = inBlock.filter((r) => r.late > h.lateBudgetMs!);
    const excused = lateRows.filter((r) => r.heldMs >= r.late - 2);
    const unexcused = lateRows.filter((r) => !excused.includes(r));
    assert.deepEqual(unexcused, [], 'reached late with the kernel not holding the sender up');
    if (excused.length > 3) ctx.skip(`timing not judged: the kernel held the sender's thread up for ${excused.length} of the 18 requests (${JSON.stringify(excused)}); the account was checked`);
  });
});

describe.each(VIAS)('stop (%s)', (via) => {
  test('a load stopped between two distant requests ends at once, not at the next intended time', async () => {
    const server = await startRecordingServer();
    // One request a second: after the first, the sender waits ~1 s for the next (on a timer, for the socket sender).
    const { load, target } = openLoop(server, { rate: 1, durationMs: 10_000, cap: 2, via });
    const start = monotonicMs();
    setTimeout(() => load.stop(), 200);
    const { honesty: h } = await load.run(start);
    const took = monotonicMs() - start;
    await target.destroy();
    await server.close();
    assert.equal(h.sent, 1);
    assert.ok(took < 800, `run() resolved ${took.toFixed(0)} ms after the start; stopped at 200 ms, the next request was due at 1000 ms`);
  });
});

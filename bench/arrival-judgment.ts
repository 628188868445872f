import type { LoadTrace } from '../src/load/load-summary.ts';

/**
Arrival statistics over the requests the machine let through on time, for judging a load's
smoothness goals on a machine that other work shares.

Three threads stand between a request's intended time and its stamp at the server, and the kernel
can keep any of them off a core: the pacer's (the load's trace says how late it posted each intended
time: requests that fell due during a stall are posted together when it wakes), the sending thread
(the trace has how long the machine kept it from running: the kernel's account of its wait for a
core, RunqueueWait, and on the socket sender's thread how late its waits for a due time returned
beyond that) and the
recorder's (its own account, as it stamped each arrival). A request one of them was kept waiting
for is excused: the gaps and the 10 ms windows that touch it are left out. Nothing else is: a
request posted on time and sent late while the sending thread ran (the hand-off, its event loop, a
garbage collection) counts against the load, and so does one it dropped as late for its own reasons.
*/
export interface ArrivalJudgment {
  /** Gaps judged (both ends on time) of all the gaps between consecutive scheduled, sent requests. */
  gaps: number;
  coverage: number;
  /** Inter-arrival CV over the judged gaps. */
  cv: number;
  /** The most arrivals in a 10 ms window holding no excused arrival, against the number expected. */
  busiest: number;
  expectedPerWindow: number;
  windowRatio: number;
  /** Requests excused, by the thread the kernel kept waiting. */
  excused: { pacer: number; sender: number; recorder: number };
  /** Requests sent plus those dropped as late for the machine's doing, against the schedule. */
  countedRatio: number;
  /** Of the requests not excused, how late the sending thread took the pacer's hand-off (ms). */
  handOff: Figures;
  /** Of the requests not excused, from the send to the recorder's stamp, beyond the quickest (ms). */
  delivery: Figures;
}

type Figures = { p50: number; p99: number; max: number };

export interface JudgeOptions {
  /** The load's trace (RemoteLoadOptions.trace). */
  trace: LoadTrace;
  /** Arrival times at the server, ms from the start of the load (the same monotonic clock), in order. */
  arrivals: readonly number[];
  /** The recording thread's total wait for a core at each arrival, ms (empty: none excused for it). */
  recorderWaits: readonly number[];
  /**
  The arrivals are the kernel's receive stamps (startKernelStampRecorder): between a request's write
  and its stamp no thread of the load or of the recorder runs, only the kernel's loopback receive
  path (softirq processing, deferred to ksoftirqd, a normal-priority thread, when there is much of
  it). A request stamped more than the slack after its write was held up there and is excused, as
  the recorder's (measured: with the load at real-time priority and other work on the machine, a
  run of requests stamped up to 20 ms after writes that were on time). @default false
  */
  stampedByKernel?: boolean;
  /** The declared (mean) rate, per second. */
  rate: number;
  /** Requests the schedule intended. */
  expected: number;
  /** How late a thread may pass a request on before the kernel's account of it is asked whether it held the request up, ms. */
  slackMs: number;
  /** @default 10 */
  windowMs?: number;
}

export function judgeArrivals(o: JudgeOptions): ArrivalJudgment {
  const { trace, slackMs } = o;
  const windowMs = o.windowMs ?? 10;
  const n = trace.intendedMs.length;
  const sent = trace.intendedMs.map((_, i) => i).filter((i) => trace.sentMs[i] !== null);
  // Requests travel on many connections; pair the k-th send with the k-th arrival (sends 0.5 ms apart
  // arrive in order but for ties, which swap nothing a gap statistic sees).
  sent.sort((a, b) => trace.sentMs[a]! - trace.sentMs[b]!);
  if (o.arrivals.length !== sent.length) throw new Error(`judgeArrivals: ${o.arrivals.length} arrivals for ${sent.length} requests sent`);
  const arrivalIndex = new Map<number, number>();
  sent.forEach((i, k) => arrivalIndex.set(i, k));

  // Where a thread took longer than the slack over its part, the request is excused when the
  // kernel's account of that thread covers the excess: without the wait, it would have been on time.
  // The sending thread's part runs from the pacer's post to reaching the request; its account there
  // is the wait since the last request it reached before the post (waits before the post overlap
  // only if the thread was still busy at the post, which is then what delayed the request).
  const heldBySender = (i: number): boolean => {
    const w = trace.waitMs;
    const post = trace.intendedMs[i] + (trace.pacerLateMs[i] ?? 0);
    const late = trace.reachedMs[i] - post;
    if (!w || late <= slackMs) return false;
    let j = i - 1;
    while (j >= 0 && trace.reachedMs[j] > post) j--;
    return w[i] - (j >= 0 ? w[j] : w[0]) >= late - slackMs;
  };
  // The two processes place the load's start from wall time (ms resolution): the recorder's clock of
  // the load is the sender's plus a skew under a millisecond, estimated from the quickest deliveries.
  // Taken at the 1st percentile, not the minimum: requests the receive path held up arrive out of
  // order, and a few then pair with an earlier send, which would place the skew milliseconds early.
  const deltas = sent.map((i) => o.arrivals[arrivalIndex.get(i)!] - trace.sentMs[i]!).sort((a, b) => a - b);
  const skew = deltas[Math.floor(0.01 * (deltas.length - 1))];
  // The recorder's part runs from the send to its stamp.
  const heldByRecorder = (k: number, sentAt: number): boolean => {
    const w = o.recorderWaits;
    const from = sentAt + skew;
    const late = o.arrivals[k] - from;
    if (late <= slackMs) return false;
    if (o.stampedByKernel) return true;
    if (w.length === 0) return false;
    let j = k - 1;
    while (j >= 0 && o.arrivals[j] > from) j--;
    return w[k] - (j >= 0 ? w[j] : w[0]) >= late - slackMs;
  };
  const pacerLate = (i: number) => trace.pacerLateMs[i] === null || trace.pacerLateMs[i]! > slackMs;

  const excusedBy = new Map<number, 'pacer' | 'sender' | 'recorder'>();
  for (const i of sent) {
    if (pacerLate(i)) excusedBy.set(i, 'pacer');
    else if (heldBySender(i)) excusedBy.set(i, 'sender');
    else if (heldByRecorder(arrivalIndex.get(i)!, trace.sentMs[i]!)) excusedBy.set(i, 'recorder');
  }
  const arrival = (i: number) => o.arrivals[arrivalIndex.get(i)!];

  const inOrder = [...sent].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let k = 1; k < inOrder.length; k++) {
    const a = inOrder[k - 1];
    const b = inOrder[k];
    if (b !== a + 1 || excusedBy.has(a) || excusedBy.has(b)) continue;
    gaps.push(arrival(b) - arrival(a));
  }
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  const cv = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length) / mean;

  const times = sent.map((i) => ({ t: arrival(i), excused: excusedBy.has(i) }));
  let busiest = 0;
  let excusedIn = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    if (times[i].excused) excusedIn++;
    while (times[i].t - times[j].t >= windowMs) if (times[j++].excused) excusedIn--;
    if (excusedIn === 0) busiest = Math.max(busiest, i - j + 1);
  }
  const expectedPerWindow = Math.max(1, (o.rate * windowMs) / 1000);

  let excusedDrops = 0;
  for (let i = 0; i < n; i++) if (trace.sentMs[i] === null && (pacerLate(i) || heldBySender(i))) excusedDrops++;
  const onTime = sent.filter((i) => !excusedBy.has(i));
  const excused = { pacer: 0, sender: 0, recorder: 0 };
  for (const why of excusedBy.values()) excused[why]++;
  return {
    gaps: gaps.length,
    coverage: gaps.length / Math.max(1, sent.length - 1),
    cv,
    busiest,
    expectedPerWindow,
    windowRatio: busiest / expectedPerWindow,
    excused,
    countedRatio: (sent.length + excusedDrops) / o.expected,
    handOff: figures(onTime.map((i) => trace.reachedMs[i] - trace.intendedMs[i] - trace.pacerLateMs[i]!)),
    delivery: figures(onTime.map((i) => arrival(i) - trace.sentMs[i]! - skew)),
  };
}

function figures(xs: number[]): Figures {
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(0.5 * (xs.length - 1))] ?? NaN, p99: xs[Math.floor(0.99 * (xs.length - 1))] ?? NaN, max: xs[xs.length - 1] ?? NaN };
}

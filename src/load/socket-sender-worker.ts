import { readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { RunqueueWait } from '../util/runqueue-wait.ts';
import { ArrivalSchedule } from './arrival-schedule.ts';
import { HttpResponseParser } from './http-response-parser.ts';
import { realTimePriority } from './real-time-priority.ts';
import { monotonicMs } from './pacer.ts';
import { RECORD, type SenderCommand, type SenderMessage, type SenderPlay } from './socket-sender.ts';

/**
The thread of `SocketSender`: it owns the connections to the target, and for each play walks the
schedule and writes each request itself when it falls due, so nothing stands between the wake-up and
the write. Between writes it returns to its event loop, which reads the responses that came in; a
wait longer than `COARSE_WAIT_MS` is a timer (the loop reads meanwhile), the last stretch before a
due time is `Atomics.wait` (sub-millisecond; returns early when the main thread sets the control word
to stop). What happened is posted to the main thread in batches of records (RECORD), never per request.
*/
const data = workerData as { control: SharedArrayBuffer; realtimePriority: number };
const ctl = new Int32Array(data.control);
const post = (m: SenderMessage) => parentPort!.postMessage(m);

/** Below this much time to the next due time the thread sleeps on Atomics.wait; above it, on a timer (1 ms resolution, often ~1 ms late), to wake for the rest. ms. */
const COARSE_WAIT_MS = 2;
/** Records are posted at most this long after they were made, while a play runs or responses come in. ms. */
const FLUSH_MS = 20;
/** A play starting at least this far ahead gets a full collection first (gc of --expose-gc, LOAD_NODE_OPTIONS), ms. */
const GC_BEFORE_PLAY_MS = 30;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
/** How often requests in flight are checked against the timeout, ms. */
const SWEEP_MS = 100;

// performance.now() reads the monotonic clock without allocating (process.hrtime() makes an array on
// every call, and the pacer's own collections were a cause of late wake-ups); its origin is this
// thread's, so it is placed on monotonicMs once.
const clockOffset = monotonicMs() - performance.now();
const now = () => performance.now() + clockOffset;

interface Conn {
  socket: Socket;
  parser: HttpResponseParser;
  /** The play the request in flight belongs to, its intended time (ms from that play's start) and when it was written (absolute, ms); -1: idle. */
  play: number;
  intended: number;
  wroteAt: number;
  connected: boolean;
}

let request = Buffer.alloc(0);
let target: SenderPlay['target'] | null = null;
const idle: Conn[] = [];
const all = new Set<Conn>();
let inFlight = 0;
/** Connections asked for and not yet up. */
let connecting = 0;

let out: number[] = [];
let kinds: string[] = [];
let lastFlush = 0;
let flushTimer: ReturnType<typeof setTimeout> | null = null;
let sweepTimer: ReturnType<typeof setInterval> | null = null;

/** The play running: its schedule, and where it stands. */
let current: {
  id: number;
  startAt: number;
  schedule: ArrivalSchedule;
  next: number | null;
  cap: number;
  lateBudgetMs: number;
  /** Idle connections to keep open ahead of the requests. */
  spare: number;
  waits: RunqueueWait | null;
  /**
  How long, in all, the thread's waits for a due time returned after it by more than its wait for a
  core explains (ms; kept only while recording): a timer the kernel fired late, or a virtual CPU the
  host ran late (the guest's kernel counts no wait for it). Like the wait for a core, the machine's
  doing, not the sender's: it is added to the `wait` of each record.
  */
  overslept: number;
} | null = null;
let tickTimer: ReturnType<typeof setTimeout> | null = null;
let immediate: ReturnType<typeof setImmediate> | null = null;

function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  lastFlush = now();
  if (out.length === 0) return;
  const records = Float64Array.from(out);
  post({ type: 'records', records, kinds });
  out = [];
  kinds = [];
}

function flushSoon(): void {
  if (!flushTimer && !current) flushTimer = setTimeout(flush, 5);
}

function record(type: number, play: number, intended: number, t1: number, t2: number, v: number, wait: number): void {
  out.push(type, play, intended, t1, t2, v, wait);
}

function kindIndex(kind: string): number {
  let i = kinds.indexOf(kind);
  if (i < 0) i = kinds.push(kind) - 1;
  return -(i + 1);
}

/** The request on `c` ended: with a status, or with an error of `kind`. */
function finish(c: Conn, status: number, kind: string | null): void {
  if (c.play < 0) return;
  const start = plays.get(c.play) ?? 0;
  record(RECORD.done, c.play, c.intended, c.wroteAt - start, now() - start, kind === null ? status : kindIndex(kind), NaN);
  c.play = -1;
  inFlight--;
  flushSoon();
}

/** Start times of the plays whose responses may still come (ms, absolute). */
const plays = new Map<number, number>();

function open(): Conn {
  const t = target!;
  const socket = connect({ host: t.host, port: t.port, noDelay: true });
  const c: Conn = { socket, parser: new HttpResponseParser(), play: -1, intended: 0, wroteAt: 0, connected: false };
  all.add(c);
  connecting++;
  socket.on('connect', () => {
    c.connected = true;
    connecting--;
    // Queued before the connection was up: it reaches the socket now. A spare one waits for a request.
    if (c.play >= 0) c.wroteAt = now();
    else idle.push(c);
  });
  socket.on('data', (chunk: Buffer) => {
    // Bytes with no request in flight are no answer to anything: the connection is not fit for the next one.
    if (c.play < 0) return drop(c);
    let done: boolean;
    try {
      done = c.parser.feed(chunk);
    } catch (err) {
      finish(c, 0, `HPE_INVALID: ${(err as Error).message}`);
      return drop(c);
    }
    if (!done) return;
    finish(c, c.parser.status, null);
    if (!c.parser.keepAlive) return drop(c);
    idle.push(c);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    finish(c, 0, err.code ?? err.message);
    drop(c);
  });
  socket.on('close', () => {
    if (c.parser.closed()) finish(c, c.parser.status, null);
    // Closed under a request: undici says UND_ERR_SOCKET, counted as ECONNRESET (http-target's errorKind).
    else finish(c, 0, 'ECONNRESET');
    drop(c);
  });
  return c;
}

function drop(c: Conn): void {
  if (!all.delete(c)) return;
  if (!c.connected) connecting--;
  const i = idle.indexOf(c);
  if (i >= 0) idle.splice(i, 1);
  c.socket.destroy();
}

function sweep(): void {
  const t = target;
  if (!t) return;
  const limit = now() - t.timeoutMs;
  for (const c of all) {
    if (c.play >= 0 && c.wroteAt < limit) {
      finish(c, 0, 'timeout');
      drop(c);
    }
  }
}

/** Writes one request now, or drops it; times in ms from the play's start. */
function dispatch(p: NonNullable<typeof current>, intended: number): void {
  const reached = now() - p.startAt;
  const wait = p.waits ? p.waits.ms() + p.overslept : NaN;
  if (reached - intended > p.lateBudgetMs) return record(RECORD.dropped, p.id, intended, reached, 0, 1, wait);
  if (inFlight >= p.cap) return record(RECORD.dropped, p.id, intended, reached, 0, 0, wait);
  // An idle connection, else a new one while fewer than the cap are open (its request goes out when it connects).
  let c = idle.pop();
  while (c && c.socket.destroyed) c = idle.pop();
  if (!c) c = open();
  c.play = p.id;
  c.intended = intended;
  c.wroteAt = now();
  inFlight++;
  c.socket.write(request);
  record(RECORD.sent, p.id, intended, reached, c.wroteAt - p.startAt, inFlight, wait);
}

/**
Opens connections ahead of need, up to `spare` idle ones (within the cap): a request that finds none
idle waits for a new connection's handshake, and the thread that opens it is the one that should be
writing the next request. At 2000/s a receiver that pauses 2 ms leaves ~4 more requests in flight.
*/
function topUp(p: NonNullable<typeof current>): void {
  while (idle.length + connecting < p.spare && all.size < p.cap) open();
}

function tick(): void {
  tickTimer = null;
  immediate = null;
  const p = current;
  if (!p) return;
  for (;;) {
    if (Atomics.load(ctl, 0) !== 0 || p.next === null) return end();
    const wait = p.startAt + p.next - now();
    if (wait > COARSE_WAIT_MS) {
      if (now() - lastFlush >= FLUSH_MS) flush();
      tickTimer = setTimeout(tick, wait - COARSE_WAIT_MS);
      return;
    }
    if (wait > 0) {
      const due = p.startAt + p.next;
      const before = p.waits?.ms() ?? 0;
      Atomics.wait(ctl, 0, 0, wait);
      const over = p.waits ? now() - due - (p.waits.ms() - before) : 0;
      if (over > 0) p.overslept += over;
      continue;
    }
    // Everything due now goes out; then the event loop reads what came in before the next one.
    while (p.next !== null && p.startAt + p.next <= now()) {
      dispatch(p, p.next);
      p.next = p.schedule.next();
    }
    topUp(p);
    if (now() - lastFlush >= FLUSH_MS) flush();
    // An immediate, not a timer (Node's shortest is 1 ms): the loop polls for I/O without blocking, then comes back.
    immediate = setImmediate(tick);
    return;
  }
}

function end(): void {
  const p = current!;
  current = null;
  p.waits?.close();
  flush();
  post({ type: 'end', play: p.id });
}

parentPort!.on('message', (m: SenderCommand) => {
  if (m.type === 'stop') {
    // The control word stops a wait on Atomics.wait; this, one on a timer (a long gap, a pause phase).
    if (current && tickTimer) {
      clearTimeout(tickTimer);
      tickTimer = null;
      end();
    }
    return;
  }
  const { plan, target: t } = m.play;
  if (!target || target.host !== t.host || target.port !== t.port) {
    for (const c of [...all]) drop(c);
  }
  target = t;
  request = Buffer.from(`GET ${t.path} HTTP/1.1\r\nhost: ${t.hostHeader}\r\nconnection: keep-alive\r\n\r\n`, 'latin1');
  sweepTimer ??= setInterval(sweep, SWEEP_MS);
  plays.set(m.play.id, plan.startAt);
  // Only the last two plays can still have requests in flight that anyone listens for.
  for (const id of plays.keys()) if (id < m.play.id - 1) plays.delete(id);
  const schedule = new ArrivalSchedule(plan.phases, plan.arrivals, plan.seed);
  current = {
    id: m.play.id,
    startAt: plan.startAt,
    schedule,
    next: schedule.next(),
    cap: m.play.cap,
    lateBudgetMs: m.play.lateBudgetMs,
    spare: Math.ceil((Math.max(0, ...plan.phases.map((ph) => ph.rate)) * m.play.spareMs) / 1000) + 1,
    waits: plan.record ? RunqueueWait.open() : null,
    overslept: 0,
  };
  if (tickTimer) clearTimeout(tickTimer);
  if (immediate) clearImmediate(immediate);
  topUp(current);
  // As the load process's main thread does between warm-up and load (LOAD_DEFAULTS.warmupGapMs):
  // what start-up and the warm-up left is collected now, not by the load's first young-generation
  // collections, which copied it (2-3 ms at ~1 s into the load, a mark-compact at ~2.5 s: each a
  // late burst at 2000/s). Only when the play starts later than a full collection of this small
  // heap could take.
  if (collectGarbage && plan.startAt - now() > GC_BEFORE_PLAY_MS) collectGarbage();
  tick();
});
// Only this thread: `/proc/thread-self` names its id (Linux; elsewhere the priority is refused, and the load runs without it).
const priority = data.realtimePriority > 0 ? priorityForThisThread(data.realtimePriority) : null;
post({ type: 'ready', priority });

function priorityForThisThread(priority: number): string {
  let id: number;
  try {
    id = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch (err) {
    return `refused: this thread's id is unknown (${(err as Error).message})`;
  }
  return realTimePriority(id, priority);
}

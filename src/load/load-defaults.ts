/**
The load generator's own defaults, written once (the scenario's load defaults, such as `arrivals`
and `connections`, are in src/scenario/shape.ts and normalise.ts).
*/
export const LOAD_DEFAULTS = {
  /** A request with no response after this long counts as an error (`timeout`), ms. */
  timeoutMs: 10_000,
  /** Length of the window in which bursts are counted (the busiest window ÷ expected), ms. */
  burstWindowMs: 10,
  /**
  A request the generator reaches more than this after its intended time is dropped as late rather
  than sent. It is the burst window: the requests caught up after a stall all fell due within one
  window, so a window holds at most its own share and one window's worth more (2× expected, the
  goal), at any rate; a longer stall drops the rest instead of firing them together. ms.
  */
  lateBudgetMs: 10,
  /** After the last intended send, how long the load waits for responses still in flight before it abandons them (counted as unfinished), ms. */
  drainMs: 2_000,
  /**
  How long the warm-up before second 0 lasts (recorded nowhere), ms. Node's JIT optimises a
  process's hot code after a few hundred requests through it; a warm-up too short or too light left
  that work, on every sidecar and app at once, to the first measured seconds (measured in
  docs/load.md: 1 s at 20/s left the first seconds at p99 290-460 ms over a 260 ms steady state).
  */
  warmupMs: 2_000,
  /** The warm-up's rate as a share of the load's first rate: enough to warm every hop, light enough to leave a policy's state (a bucket, a quota) near where a quiet mesh has it. */
  warmupShareOfRate: 0.5,
  /** The warm-up's rate at most, per second. */
  warmupRate: 100,
  /**
  The warm-up ends this long before second 0, and the load process collects its garbage in between
  (a full collection: 20 ms on an idle machine). Measured at 2000/s: without it the first young-generation
  collections of the load copy what the start-up and the warm-up left, and stop the sending thread
  5–7 ms each (a burst of 10–14 requests at the server); after it, about 1 ms. ms.
  */
  warmupGapMs: 100,
  /**
  How an open loop sends over plaintext HTTP: `socket`, a thread that paces and writes each request
  itself (SocketSender); `undici`, a pacer thread that wakes the main thread, which sends through
  undici (the way for an https target). Measured at the kernel in docs/load.md.
  */
  openLoopVia: 'socket' as 'socket' | 'undici',
  /**
  The socket sender keeps open, ahead of the requests, as many idle connections as the load's peak
  rate sends in this long (within `connections`), as k6 pre-allocates VUs: a request that finds none
  idle waits for a handshake on the thread that paces. Measured at 2000/s (docs/load.md): without
  spares, a receiver pausing 2 ms made the sender open connections mid-load and 5 requests reached
  the kernel 2-5 ms late. ms.
  */
  spareConnectionsMs: 10,
  /**
  The SCHED_FIFO priority the socket sender's thread asks for when real-time pacing is asked for
  (MESHPROOF_LOAD_REALTIME=1, RemoteLoadOptions.realtime); the rest of the load process asks for one
  less. 2: above the process's other threads (V8's helpers would otherwise hold the sender's core at
  equal priority), and above a whole harness run under `chrt -f 1`.
  */
  realtimePriority: 2,
} as const;

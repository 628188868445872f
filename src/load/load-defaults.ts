/**
The load generator's own defaults, written once (the scenario's load defaults, such as `arrivals`
and `connections`, are in src/scenario/shape.ts and normalise.ts).
*/
export const LOAD_DEFAULTS = {
  /** A request with no response after this long counts as an error (`timeout`), ms. */
  timeoutMs: 10_000,
  /**
  A send later than its intended time by more than one mean gap (1/rate) is dropped, not sent in a
  catch-up burst; the budget is kept within these bounds: at least the resolution of a timer, at
  most what still reads as "on time" at any rate. ms.
  */
  lateBudgetMs: { min: 1, max: 10 },
  /** Length of the window in which bursts are counted (the busiest window ÷ expected), ms. */
  burstWindowMs: 10,
  /** After the last intended send, how long the load waits for responses still in flight before it abandons them (counted as unfinished), ms. */
  drainMs: 2_000,
  /** Rate of the warm-up before second 0: enough to open connections and exercise every hop, far below any scenario's own load. */
  warmupRate: 20,
} as const;

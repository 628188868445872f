/**
How faithfully the load generator delivered the load the scenario declares: what the promise check
(src/verdict/promises.ts) reads to decide whether a verdict that depends on the load can be judged.
Built by the engine from what the load runner reports; a figure the runner does not measure is null
(the closed-loop runner has no drops and no intended send times).
*/
export interface LoadFidelity {
  /** Requests the scenario declares over the load (each phase's rate × its length). */
  declaredRequests: number;
  /** Requests the generator sent (with a response or an error). */
  sentRequests: number;
  /** Requests per second declared, averaged over the phases. */
  targetRate: number;
  /** Requests per second actually sent over the load's wall time. */
  achievedRate: number;
  /** Requests an open-loop generator dropped because `connections` were all in flight; null when the runner does not drop. */
  dropped: number | null;
  /** How late requests were sent after their intended send time, ms (p99 and max); null when the runner has no intended times. */
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
}

/** Share of the declared requests that were not sent (dropped, or never scheduled because the generator fell behind), 0–1. */
export function loadShortfall(f: LoadFidelity): number {
  if (f.declaredRequests <= 0) return 0;
  const missing = Math.max(0, f.declaredRequests - f.sentRequests) + (f.dropped ?? 0);
  return Math.min(1, missing / f.declaredRequests);
}

/**
How faithfully the load generator delivered the load the scenario declares: what the promise check
(src/verdict/promises.ts) reads to decide whether a verdict that depends on the load can be judged.
Built by the engine from what the load runner reports (src/engine/run-health-of.ts); a figure the
runner does not measure is null.

Not every request short of the declared count is a broken promise. `connections` caps the requests
in flight: when the mesh is slow enough to hold every connection, requests wait (closed loop) or are
dropped at the cap (open loop), and that is the mesh's doing — what the scenario tests. Only what
the generator itself failed to send (it fell behind: a starved process, a late timer) breaks the
harness's promise.
*/
export interface LoadFidelity {
  /** Requests the scenario declares over the load (each phase's rate × its length; an open-loop schedule's own count). */
  declaredRequests: number;
  /** Requests the generator sent (with a response or an error). */
  sentRequests: number;
  /** Requests per second declared, averaged over the phases. */
  targetRate: number;
  /** Requests per second actually sent over the load's wall time. */
  achievedRate: number;
  /** The cap on requests in flight (`connections`). */
  cap: number;
  /**
  Requests not sent because every connection was in flight (open loop: dropped at the cap); null
  when the runner does not count them (closed loop).
  */
  droppedAtCap: number | null;
  /** Requests an open-loop generator dropped because it came to them too late (it fell behind); null when not counted. */
  droppedLate: number | null;
  /** How late requests were sent after their intended send time, ms (p99 and max); null when the runner has no intended times. */
  latenessP99Ms: number | null;
  latenessMaxMs: number | null;
}

/**
Share of the declared requests not sent (0–1), the requests the mesh held back at the cap (open
loop) aside. A closed-loop runner counts only the requests that completed: a slow mesh holding its
connections, or requests still in flight when the load ended, make it short too, which is why the
promise check holds a closed-loop shortfall against the harness only on a starved machine.
*/
export function loadShortfall(f: LoadFidelity): number {
  if (f.declaredRequests <= 0) return 0;
  const missing = Math.max(0, f.declaredRequests - f.sentRequests - (f.droppedAtCap ?? 0));
  return Math.min(1, missing / f.declaredRequests);
}

/** The runner knows when each request was meant to go (open loop): its lateness and late drops say directly whether it fell behind. */
export function hasIntendedTimes(f: LoadFidelity): boolean {
  return f.droppedLate !== null || f.latenessP99Ms !== null;
}

import type { MeshEvent } from './contract/mesh-event.ts';
import type { Verdict } from './verdict/verdict.ts';
import type { TopologyEvent } from './contract/topology-event.ts';
import type { Arrivals } from './scenario/scenario.ts';
import type { LoadHonesty } from './load/load-honesty.ts';
import type { PromiseBreach, RunHealth } from './contract/run-health.ts';

/**
Typed events the engine emits while a run happens, the runtime's and the fault runner's among them
(TopologyEvent). The CLI's progress output, the TUI and the reporters subscribe; nothing in the
engine prints.
*/
export type RunEvent =
  | { type: 'run-starting'; at: number; scenario: string; runId: string }
  | { type: 'topology-ready'; at: number; instances: number; ms: number }
  /** `rate`: the highest rate of an open-loop load, null for closed loop (then `arrivals` is null too). */
  | { type: 'load-started'; at: number; t0: number; rate: number | null; arrivals: Arrivals | null; connections: number; durationMs: number }
  /**
  Once a second, from the load generator: the `client` figures of the second that just ended
  (responses), and the load's own for it: requests sent, intended ones dropped, worst lateness (ms).
  */
  | { type: 'tick'; at: number; second: number; rps: number; ok: number; errors: number; p99: number; sent: number; dropped: number; latenessMaxMs: number }
  | { type: 'load-finished'; at: number; requests: number; errors: number; honesty: LoadHonesty }
  /** Once a second: every series' figures for the second that just ended (series keys as in observe/timeline.ts). */
  | { type: 'live-stats'; at: number; second: number; series: Record<string, LiveFigures> }
  /** `at` is when the sidecar saw it (the event's own time on the run's clock), not when the harness received it. */
  | { type: 'sidecar-event'; at: number; event: MeshEvent }
  /**
  Once the verdicts are in: the harness's own promises as the run kept them, and which expectations
  each broken one made inconclusive (`breaches`, the verdicts' own judgment: contract/describe-run-health.ts).
  */
  | { type: 'harness-health'; at: number; health: RunHealth; breaches: PromiseBreach[] }
  | { type: 'expectation-settled'; at: number; verdict: Verdict }
  | { type: 'teardown'; at: number; stopped: number }
  | { type: 'run-finished'; at: number; passed: boolean; reportDir: string | null }
  | TopologyEvent;

export type RunEventListener = (event: RunEvent) => void;

/** One series' figures over one second, for live views. */
export interface LiveFigures {
  /** Requests completed in the second. */
  rps: number;
  /** Fraction of them that failed (5xx or no response). */
  errorRate: number;
  /** ms; NaN when nothing completed. */
  p99: number;
  /** Retries issued in the second (edges). */
  retries: number;
  /** Count by Envoy response flag. */
  flags: Record<string, number>;
  /** Of the requests, those carried over mutual TLS (edges and instances). Absent = 0. */
  mtls?: number;
  /** Requests refused by authorization. Absent = 0. */
  denied?: number;
  /** Mutual TLS handshakes that failed in the second. Absent = 0. */
  handshakeErrors?: number;
  /**
  Requests refused by a rate limit, local or a global quota (429 or flag RL): on an edge the caller
  sees the callee's 429, whose flag is the callee's. Absent = 0.
  */
  limited?: number;
}

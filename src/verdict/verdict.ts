import type { AnyExpectation } from '../scenario/scenario.ts';
import type { FaultRecord } from '../contract/fault-record.ts';
import type { InstanceState, StateChange } from '../contract/state-change.ts';
import type { MeshEvent } from '../contract/mesh-event.ts';
import type { PromiseKey, RunHealth } from '../contract/run-health.ts';
import type { TraceStore } from '../trace/trace-store.ts';

/** The decision on one expectation, with the evidence that decided it. */
export interface Verdict {
  expectation: AnyExpectation;
  /**
  held: the comparison is true; failed: false; no_data: nothing was measured in the window (counts
  as failed); inconclusive: the harness broke a promise the verdict depends on (a late fault, a
  starved event loop or machine, a load that fell behind), so neither held nor failed can be said —
  `inconclusive` says why, with the numbers.
  */
  status: 'held' | 'failed' | 'no_data' | 'inconclusive';
  /** Set when `status` is inconclusive. */
  inconclusive?: Inconclusive;
  /** The measured value in the expectation's unit (NaN when no data). */
  measured: number;
  /** The window actually evaluated, in ms from the start of the load. */
  window: { fromMs: number; toMs: number };
  /** The numbers behind the measured value, e.g. { requests: 1200, ok: 1195 }. */
  evidence: Record<string, number>;
  /** One sentence a person can read, e.g. "success_rate(client) was 99.58% (1195 of 1200 ok) over 0s–10s; needed >= 99.5%". */
  explanation: string;
  /** Events that decided it (an ejection, a kill…), with their time from the start of the load. */
  events?: DecidingEvent[];
}

/** Why a verdict could not be given: the promises broken, in words with their numbers. */
export interface Inconclusive {
  /** What the measurement alone would have said; it does not stand. */
  wouldBe: 'held' | 'failed' | 'no_data';
  /** One sentence per broken promise, e.g. "the load sent 560 of 800 requests (30% short; at most 5% may be)". */
  reasons: string[];
  /** The promises broken, by name: what the health section and the run's health line say this expectation lost. */
  promises: PromiseKey[];
  /** The numbers behind the reasons, flat (`fault_late_ms.p1`, `sidecar_loop_p99_ms`, `cpu_busy`, `load_sent`…). */
  figures: Record<string, number>;
}

/**
A fact that decided a verdict, at its time from the start of the load: a mesh event (shown in the
describer's words), or one already in words: a change the harness made to an instance (`type` its
state: killed, paused…, `message` the harness's reason) or what the verdict found in a second of
the timeline (`condition-not-met`, `recovered`).
*/
export type DecidingEvent = { atMs: number; event: MeshEvent } | { atMs: number; instance: string; type: string; message: string };

/** What happened during a run besides the per-second stats: what the event-based expectations read. */
export interface RunFacts {
  /** Epoch ms of second 0. */
  t0: number;
  faults: FaultRecord[];
  /** Mesh events (ejections, health changes…), `at` in epoch ms. */
  events: MeshEvent[];
  /** Process-level state changes made by the harness (killed, paused, restarted → healthy). */
  states: StateChange[];
  /**
  The harness's own promises as the run kept them; when given, an expectation that depends on one
  that was broken is inconclusive (promises.ts). Absent: every promise is taken as kept.
  */
  health?: RunHealth;
  /** The run's traces, for expectations over them (`attempts`); absent when tracing was off. */
  traces?: Pick<TraceStore, 'attempts' | 'dropped'> & { sidecarDropped?: number };
}

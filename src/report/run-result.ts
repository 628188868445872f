import type { LoadHonesty } from '../load/load-honesty.ts';
import type { Scenario } from '../scenario/scenario.ts';
import type { Timeline } from '../observe/timeline.ts';
import type { Describer } from '../contract/describe-mesh-event.ts';
import type { MeshEvent } from '../contract/mesh-event.ts';
import type { Verdict } from '../verdict/verdict.ts';
import type { FaultRecord } from '../contract/fault-record.ts';
import type { StateChange } from '../contract/state-change.ts';
import type { TraceSummary } from '../trace/trace-summary.ts';
import type { RunHealth } from '../contract/run-health.ts';

/** Everything a run measured and decided: the content of result.json, and the input of every reporter. */
export interface RunResult {
  /** Format of this object; bumped on incompatible changes (2: mesh events are typed, without their words). */
  format: 2;
  meshproofVersion: string;
  runId: string;
  scenario: Scenario;
  /** Runtime the run used. */
  runtime: 'local' | 'docker';
  startedAt: string;
  finishedAt: string;
  /** True when every expectation held. */
  passed: boolean;
  /** Set when the run could not complete (the verdicts then cover what was measured before it stopped). */
  error: string | null;
  verdicts: Verdict[];
  timeline: Timeline;
  /** Mesh events from every sidecar, by time: their facts (reports put them in words with the describer). */
  events: MeshEvent[];
  /** Each fault of the schedule: when it was planned, when it actually took effect and ended. */
  faults: FaultRecord[];
  /** Process-level state changes the harness made (kill, pause, restart). */
  states: StateChange[];
  /** How long after a process exits the control plane removes it from the endpoints (as Kubernetes would after its probe fails), ms. */
  endpointRemovalDelayMs: number;
  /** What the load generator did. */
  load: {
    requests: number;
    errors: number;
    /** Count by status code, `error` for no response. */
    status: Record<string, number>;
    /** Error messages (reset, timeout, …) by count, so "N errors" is never a mystery. */
    errorKinds: Record<string, number>;
    /** The declared mean rate (requests/s); null for a closed-loop load. */
    targetRate: number | null;
    /** Requests sent per second of the load's duration. */
    achievedRate: number;
    /**
    How faithfully the load was delivered: drops, lateness, smoothness, per second. Null when the
    load never ran (the run failed before it), and absent in results written before it existed.
    */
    honesty?: LoadHonesty | null;
    /**
    How the load process sent an open loop (`socket`: its sender thread writes each request; `undici`)
    and the real-time priority that thread was granted (MESHPROOF_LOAD_REALTIME=1: `SCHED_FIFO 2`, or
    `refused: …`; null when none was asked for). Absent for a closed loop, a load that never ran, and
    in results written before it existed.
    */
    sender?: { via: 'socket' | 'undici'; priority: string | null };
  };
  /**
  The instances that ran, with their ports, and for a user's own program the file its output went
  to, relative to the report folder (`logs/<instance>.log`).
  */
  instances: { instance: string; service: string; ports: Record<string, number>; log?: string }[];
  /** How long a config push took to reach every sidecar (ms), as measured at start. */
  configPushMs: number | null;
  /**
  The harness's own promises as the run kept them: fault timing (planned vs when each took effect),
  the harness's and each sidecar's event-loop delay, how busy the machine was, the load delivered
  vs declared. A verdict that depends on a broken one is inconclusive. Absent in results written
  before meshproof measured it.
  */
  health?: RunHealth;
  /** The run's traces: counts, losses, the slowest and a failed trace as waterfalls (spans in traces.json). Absent when tracing was off. */
  traces?: TraceSummary | null;
}

/** What every reporter takes besides the result. */
export interface ReportOptions {
  /**
  Turns a mesh event into the words the report shows; reports read nothing else from words.
  @default describeMeshEvent
  */
  describe?: Describer;
}

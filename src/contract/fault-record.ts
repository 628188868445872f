/** When a fault actually took effect and ended, in ms from the start of the load (null: never / not yet). */
export interface FaultRecord {
  name: string;
  scheduledAtMs: number;
  startedMs: number | null;
  endedMs: number | null;
  /** When applying its start had finished (the push acknowledged, the signal sent, the toxic posted), ms; null: not started. */
  appliedMs?: number | null;
  /**
  When the harness began to end it, ms (null: not ended). Differs from `endedMs` for a killed app
  brought back: its end is when it is back in the endpoints, after it started again.
  */
  endBegunMs?: number | null;
  /** What applying it did, in plain words (e.g. "SIGKILL sent to payments-0 (pid 1234)"). */
  detail: string;
}

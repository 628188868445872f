/** When a fault actually took effect and ended, in ms from the start of the load (null: never / not yet). */
export interface FaultRecord {
  name: string;
  scheduledAtMs: number;
  startedMs: number | null;
  endedMs: number | null;
  /** What applying it did, in plain words (e.g. "SIGKILL sent to payments-0 (pid 1234)"). */
  detail: string;
}

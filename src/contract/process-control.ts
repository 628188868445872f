/**
Process faults: what a runtime can do to an instance's app (its sidecar stays, as a pod's sidecar
container does when the app container dies); to a gateway's instance, its proxy (it keeps its
address when started again, as a container in its pod does); to an external's instance, its app;
or to the rate-limit service (instance `ratelimit`).
*/
export interface ProcessControl {
  /** SIGKILL the app; resolves once it is gone, with what was done in plain words. */
  kill(instance: string): Promise<string>;
  /** SIGSTOP the app: it keeps its port and answers nothing (a hung instance). */
  pause(instance: string): Promise<string>;
  /** SIGCONT a paused app. */
  resume(instance: string): Promise<string>;
  /** Starts the app again after a kill; resolves with its new port once it is ready. */
  start(instance: string): Promise<number>;
}

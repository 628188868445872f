import type { Plan } from '../plan/plan-scenario.ts';
import type { TopologyEventListener } from '../contract/topology-event.ts';
import type { ProcessControl } from '../contract/process-control.ts';
import type { RunningExternal, RunningPod } from '../contract/running-pod.ts';
import type { RunningRateLimitService } from '../contract/rate-limit-service.ts';

/** What a process of a run is: an app, a sidecar, the fault engine or the rate-limit service. */
export type ChildRole = 'app' | 'sidecar' | 'fault-engine' | 'ratelimit';

/** Where a runtime brings a plan's pods up. `local` (child processes) and `docker` (containers) implement it. */
export interface Runtime {
  readonly name: 'local' | 'docker';
  /** Starts every pod and the ingress; resolves once each sidecar and app has reported its ports. */
  start(plan: Plan, options: RuntimeStartOptions): Promise<StartedTopology>;
}

export interface RuntimeStartOptions {
  onEvent?: TopologyEventListener;
  /** Aborts start-up (e.g. Ctrl-C while pods come up); everything started so far is stopped. */
  signal?: AbortSignal;
  /**
  Tracing for every sidecar: they export spans over OTLP/HTTP to `endpoint` (the harness's receiver,
  on 127.0.0.1) as env MESHPROOF_OTLP_ENDPOINT, sampling new traces at `sampleRatio`
  (MESHPROOF_TRACE_SAMPLE) and at most `maxTracesPerSecond` (MESHPROOF_TRACE_MAX_PER_SECOND, 0 = no
  limit). A runtime whose sidecars cannot reach 127.0.0.1 of the harness maps the address.
  @default none: no spans
  */
  tracing?: { endpoint: string; sampleRatio: number; maxTracesPerSecond: number } | null;
  /**
  Folder for the output of users' own programs (command or image): each instance's stdout and
  stderr go to `<logsDir>/<instance>.log` (created as needed). null keeps only the last lines, for
  messages. @default null
  */
  logsDir?: string | null;
  /**
  The run's credential (docs/security-model.md): handed to every sidecar and to the fault engine,
  which refuse writes without it, and which present it when they export spans. Never to an app:
  user programs get no way to drive the run. Handed over IPC (local) or as a file only the container
  reads (Docker), never in an environment variable or on a command line.
  @default a new random one (StartedTopology.credential says which)
  */
  credential?: string;
}

export interface StartedTopology extends AsyncDisposable {
  /** Every pod with a proxy: the services' (app and sidecar) and the gateways'. */
  pods: RunningPod[];
  /** The external services' instances (no proxy, no admin port). Absent = none. */
  externals?: RunningExternal[];
  ingress: RunningPod;
  processes: ProcessControl;
  /** The run's credential, which writes to the admin ports and the fault engine must carry. */
  credential: string;
  /** The fault engine (Toxiproxy API) when the plan has wire faults, else null. */
  faultEngine: { url: string; seed: number } | null;
  /** The rate-limit service when the plan has quotas, else null; process faults name it `ratelimit` (RATE_LIMIT_SERVICE_INSTANCE). */
  rateLimitService: RunningRateLimitService | null;
  /** Stops every process (idempotent); resolves with how many were stopped. */
  stop(): Promise<number>;
  /** Called when a process exits on its own while the topology runs. */
  onUnexpectedExit(listener: (instance: string, role: ChildRole, code: number | null, signal: string | null) => void): void;
}

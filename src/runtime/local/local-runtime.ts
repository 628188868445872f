import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { SidecarPorts } from '../../contract/child-message.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import { podKind, type Plan, type PodPlan } from '../../plan/plan-scenario.ts';
import { newRunCredential } from '../../auth/run-credential.ts';
import { CompileCacheMark } from '../../process/compile-cache-mark.ts';
import { reapOrphans } from '../../process/run-registry.ts';
import { runsOwnProgram } from '../../scenario/scenario.ts';
import type { Runtime, RuntimeStartOptions, StartedTopology } from '../runtime.ts';
import { BootGate } from './boot-gate.ts';
import { LocalChildren } from './local-children.ts';
import { HOST, LocalLauncher, type StartedApp } from './local-launcher.ts';
import { LocalProcessControl, type LocalPod, type LocalRateLimitService } from './local-process-control.ts';
import { LocalTopology } from './local-topology.ts';
import { checkLocalServices } from './own-program.ts';
import type { PodHost } from './pod-host.ts';
import { planPodHosting } from './pod-hosting.ts';
import { HOST_PODS_DEFAULT, POD_HOSTS_DEFAULT } from '../../contract/defaults.ts';

export { checkLocalServices };

export interface LocalRuntimeOptions {
  /** Directory of the run registry used to reap a crashed run's processes. @default $MESHPROOF_STATE_DIR or <tmpdir>/meshproof/runs */
  stateDir?: string;
  /**
  How long each meshproof process may take to report it is ready, counted from its own spawn (which
  waits for the boot gate: see bootConcurrency), so it holds whatever the topology's size; a user's
  program has its scenario's ready.timeout on top. @default 15000
  */
  readyTimeoutMs?: number;
  /**
  How many of meshproof's own processes (sidecars, built-in apps, the fault engine) boot at once; the
  first of each kind boots before the others of its kind, to fill Node's compile cache for them,
  unless the cache is known to hold this code already (src/process/compile-cache-mark.ts)
  (src/runtime/local/boot-gate.ts). Users' programs are not held back. Infinity: all at once, in no order (as before the gate).
  @default 8 per core (availableParallelism), at least 8
  */
  bootConcurrency?: number;
  /**
  Pod hosting, for large topologies: the pods no process fault targets run in a few host processes,
  each holding many sidecars and built-in apps in one event loop (src/runtime/local/pod-hosting.ts),
  instead of two Node processes per pod. Every hosted sidecar keeps its own listeners, admin port,
  config and credential; what hosted pods lose is CPU isolation from each other. Targets of process
  faults, users' programs, gateways, externals and the ingress keep processes of their own.
  @default false (HOST_PODS_DEFAULT): one process per sidecar and per app
  */
  hostPods?: boolean;
  /** How many pod hosts when `hostPods` is on (never more than the pods to host). @default one per core (POD_HOSTS_DEFAULT 0 = availableParallelism) */
  podHosts?: number;
}

/**
Boots at once by default. Measured (docs/benchmarks.md): 2 per core made 10 × 2 start twice as
slowly as all at once on a machine other work kept busy (the kernel shares the cores per runnable
process, so a run that boots few at a time gets a smaller share); 8 per core was as fast as all at
once there, and still keeps 181 boots from starving one another of CPU past their deadlines.
*/
export function defaultBootConcurrency(): number {
  return Math.max(8, 8 * availableParallelism());
}

/** Every app and sidecar as a child process of the harness, on loopback, on ports the children pick. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private readonly options: LocalRuntimeOptions;

  constructor(options: LocalRuntimeOptions = {}) {
    this.options = options;
  }

  /**
  Reaps what a crashed run left, then starts the fault engine, the rate-limit service (when the
  plan has quotas), the ingress's sidecar and every pod at once. A start that fails stops the others at once, rather than after their own time-outs, and
  everything started is stopped before the failure is thrown.
  */
  async start(plan: Plan, options: RuntimeStartOptions = {}): Promise<StartedTopology> {
    checkLocalServices(plan.scenario.services);
    reapOrphans(this.options.stateDir);
    const children = new LocalChildren(plan.runId, { stateDir: this.options.stateDir });
    const starting = followAbort(options.signal);
    try {
      const logsDir = options.logsDir ?? null;
      if (logsDir && plan.pods.some((p) => p.spec.command !== null && p.spec.command !== undefined)) mkdirSync(logsDir, { recursive: true });
      // Only sidecars and the fault engine get it, over IPC; apps never do.
      const credential = options.credential ?? newRunCredential();
      const cache = new CompileCacheMark();
      const gate = new BootGate(this.options.bootConcurrency ?? defaultBootConcurrency(), { firstOfKindFirst: !cache.warm() });
      const launcher = new LocalLauncher(plan, children, { readyTimeoutMs: this.options.readyTimeoutMs ?? 15_000, gate, logsDir, tracing: options.tracing, credential });
      const hostOf = this.podHosts(plan, launcher, starting.signal);
      const [faultEngine, rateLimit, ingressPorts, ...started] = await startAll<[{ url: string; seed: number } | null, StartedApp | null, SidecarPorts, ...LocalPod[]]>(starting.controller, [
        launcher.faultEngine(starting.signal),
        launcher.rateLimitService(starting.signal),
        // The load reaches its target on a listener of its own at the ingress, whatever Host it sends (a gateway's routes match it).
        launcher.sidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed, [plan.load.target], starting.signal),
        ...plan.pods.map((p) => {
          const kind = podKind(p);
          if (kind === 'gateway') return startGatewayPod(p, launcher, starting.signal, options);
          if (kind === 'external') return startExternalPod(p, launcher, starting.signal, options);
          return startPod(plan, p, launcher, starting.signal, options, hostOf(p.instance));
        }),
      ]);
      // Every kind has booted and flushed its compile cache: the next start need not boot one of each first.
      cache.markWarm();
      const pods = new Map(started.map((p) => [p.plan.instance, p]));
      const rls: LocalRateLimitService | null = rateLimit ? { started: rateLimit, running: { url: `http://${HOST}:${rateLimit.port}`, address: { host: HOST, port: rateLimit.port } } } : null;
      return new LocalTopology({
        pods: started.flatMap((p) => (p.ports === null ? [] : [p.running])),
        externals: started.flatMap((p) => (p.ports === null ? [p.running] : [])),
        ingress: {
          ...runningPod(plan.ingress, ingressPorts, null),
          upstreams: Object.fromEntries(Object.entries(ingressPorts.upstreams ?? {}).map(([service, port]) => [service, { host: HOST, port }])),
        },
        processes: new LocalProcessControl(pods, launcher, children, options.signal ?? new AbortController().signal, rls),
        rateLimitService: rls?.running ?? null,
        faultEngine,
        credential,
        owner: children,
      });
    } catch (err) {
      await children.stop();
      throw err;
    } finally {
      starting.release();
    }
  }

  /**
  The pod host of each hosted instance (null: a process of its own), each host spawned once, on
  first asking, so its boot overlaps the other starts; a host no pod asks for is never spawned.
  */
  private podHosts(plan: Plan, launcher: LocalLauncher, signal: AbortSignal): (instance: string) => Promise<PodHost> | null {
    if (!(this.options.hostPods ?? HOST_PODS_DEFAULT)) return () => null;
    const wanted = this.options.podHosts ?? POD_HOSTS_DEFAULT;
    const hosting = planPodHosting(plan, wanted === 0 ? availableParallelism() : wanted);
    const hosts = new Map<number, Promise<PodHost>>();
    return (instance) => {
      const i = hosting.hostOf.get(instance);
      if (i === undefined) return null;
      let host = hosts.get(i);
      if (!host) hosts.set(i, (host = launcher.podHost(i, signal)));
      return host;
    };
  }
}

/**
A pod: its sidecar (with a listener per callee for a user's program: its <NAME>_URL), then its app;
both in `host` when the pod is hosted, else each a process of its own.
*/
async function startPod(plan: Plan, pod: PodPlan, launcher: LocalLauncher, signal: AbortSignal, options: RuntimeStartOptions, hostStart: Promise<PodHost> | null): Promise<LocalPod> {
  const upstreams = runsOwnProgram(pod.spec) ? (plan.routes[pod.service] ?? []) : [];
  const host = hostStart ? await hostStart : null;
  const ports = host ? await launcher.hostedSidecar(host, pod, signal) : await launcher.sidecar(pod.instance, pod.service, pod.sidecarSeed, upstreams, signal);
  const app = host ? await launcher.hostedApp(host, pod, ports, signal) : await launcher.app(pod, ports, signal);
  const running: RunningPod = { ...runningPod(pod, ports, app.port), ...(pod.spec.command ? { logFile: launcher.logFileOf(pod) } : {}) };
  options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: ports.inbound, outbound: ports.outbound, admin: ports.admin, app: app.port } });
  return { plan: pod, running, ports, app };
}

/** A gateway replica: its proxy alone, the pod's workload. */
async function startGatewayPod(pod: PodPlan, launcher: LocalLauncher, signal: AbortSignal, options: RuntimeStartOptions): Promise<LocalPod> {
  const { ports, app } = await launcher.gateway(pod, null, signal);
  options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: ports.inbound, outbound: ports.outbound, admin: ports.admin } });
  return { plan: pod, running: { ...runningPod(pod, ports, null), kind: 'gateway' }, ports, app };
}

/** An external service's instance: the built-in app alone, no sidecar. */
async function startExternalPod(pod: PodPlan, launcher: LocalLauncher, signal: AbortSignal, options: RuntimeStartOptions): Promise<LocalPod> {
  const app = await launcher.external(pod, 0, signal);
  options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { app: app.port } });
  const running: RunningExternal = { instance: pod.instance, service: pod.service, address: { host: HOST, port: app.port } };
  return { plan: pod, running, ports: null, app };
}

function runningPod(pod: { instance: string; service: string }, ports: SidecarPorts, appPort: number | null): RunningPod {
  return {
    instance: pod.instance,
    service: pod.service,
    adminUrl: `http://${HOST}:${ports.admin}`,
    inbound: { host: HOST, port: ports.inbound },
    outbound: { host: HOST, port: ports.outbound },
    appPort,
  };
}

/**
Every start runs to its end — allSettled, not all: on a failure, a start still under way must finish
(and be tracked) before the teardown, or a late child would outlive the run — and the first failure
aborts the others and is thrown once all have settled (the others are mostly starts it interrupted).
*/
async function startAll<T extends unknown[]>(abort: AbortController, starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  let firstFailure: { reason: unknown } | null = null;
  const settled = await Promise.allSettled(
    (starts as Promise<unknown>[]).map((p) =>
      p.catch((err: unknown) => {
        firstFailure ??= { reason: err };
        abort.abort();
        throw err;
      }),
    ),
  );
  if (firstFailure) throw (firstFailure as { reason: unknown }).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as T;
}

/** An abort of its own that also follows `outer` until released (start-up only: a later abort of `outer` is the run's business). */
function followAbort(outer: AbortSignal | undefined): { controller: AbortController; signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return { controller, signal: controller.signal, release: () => outer?.removeEventListener('abort', onAbort) };
}

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SidecarPorts } from '../../contract/child-message.ts';
import { READY_TIMEOUT_DEFAULT } from '../../contract/defaults.ts';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import { RATE_LIMIT_SERVICE_INSTANCE } from '../../contract/rate-limit-service.ts';
import { spawnNodeChild } from '../../process/child-process.ts';
import { parseDuration } from '../../scenario/duration.ts';
import { codeLayout } from '../../util/code-layout.ts';
import type { RuntimeStartOptions } from '../runtime.ts';
import type { BootGate } from './boot-gate.ts';
import type { LocalChildren } from './local-children.ts';
import { programStartFailure } from './own-program.ts';
import { PodHost } from './pod-host.ts';
import type { ProgramSpec } from './supervised-program.ts';

const SIDECAR_MAIN = codeLayout.file('sim/sidecar/main.ts');
const BUILTIN_MAIN = codeLayout.file('sim/builtin/main.ts');
const SUPERVISOR_MAIN = codeLayout.file('runtime/local/command-supervisor.ts');
const FAULT_ENGINE_MAIN = codeLayout.file('chaos/toxiproxy/engine-process.ts');
const RATE_LIMIT_MAIN = codeLayout.file('sim/ratelimit/main.ts');
const HOST_MAIN = codeLayout.file('sim/host/main.ts');
export const HOST = '127.0.0.1';

/** Grace between SIGTERM and SIGKILL at the end of the run: a supervisor gives its program a grace period of its own first. */
const GRACE_MS = 2000;
const PROGRAM_GRACE_MS = 3000;

/** An app as started: its process, the process group process faults signal, and its port. */
export interface StartedApp {
  /** Its own process, or the pod host it runs in (then `hostedIn` is set). */
  child: ChildProcess;
  /** The pod host this app runs in, when hosted (no process fault targets it, so none may signal it). Absent: a process of its own. */
  hostedIn?: string;
  /** A user's program's own group (its supervisor stays out of it), or the built-in app's (it leads its own). */
  group: number;
  port: number;
}

/**
Starts the processes of one plan as children of the harness, each tracked by the run's children
as soon as it has reported ready: a pod's sidecar, its app (the built-in service, or a user's
program under its supervisor), a gateway's proxy, an external's app, the fault engine, the rate-limit service.
*/
export class LocalLauncher {
  private readonly plan: Plan;
  private readonly children: LocalChildren;
  private readonly readyTimeoutMs: number;
  private readonly gate: BootGate;
  private readonly logsDir: string | null;
  private readonly baseEnv: Record<string, string>;
  private readonly tracingEnv: Record<string, string>;
  /** The run's credential: sidecars and the fault engine get it over IPC; apps never do. */
  private readonly credential: string;

  constructor(plan: Plan, children: LocalChildren, options: { readyTimeoutMs: number; gate: BootGate; logsDir: string | null; tracing: RuntimeStartOptions['tracing']; credential: string }) {
    this.plan = plan;
    this.children = children;
    this.readyTimeoutMs = options.readyTimeoutMs;
    this.gate = options.gate;
    this.logsDir = options.logsDir;
    this.credential = options.credential;
    this.baseEnv = { MESHPROOF_RUN_ID: plan.runId };
    this.tracingEnv = options.tracing
      ? {
          MESHPROOF_OTLP_ENDPOINT: options.tracing.endpoint,
          MESHPROOF_TRACE_SAMPLE: String(options.tracing.sampleRatio),
          MESHPROOF_TRACE_MAX_PER_SECOND: String(options.tracing.maxTracesPerSecond),
        }
      : {};
  }

  /** Where a user's program writes its output, or null (the built-in service, or no logs folder). */
  logFileOf(pod: PodPlan): string | null {
    return this.logsDir && pod.spec.command ? join(this.logsDir, `${pod.instance}.log`) : null;
  }

  async sidecar(instance: string, service: string, seed: number, upstreams: readonly string[], signal: AbortSignal): Promise<SidecarPorts> {
    return (await this.proxy(instance, service, seed, upstreams, signal, null)).ports;
  }

  /**
  A gateway replica: the sidecar's proxy in its gateway role, the pod's workload (process faults
  signal it: it leads its own group). `previous`: the ports it had, to start again on them after a
  kill (a container restarted in its pod keeps the pod's address).
  */
  async gateway(pod: PodPlan, previous: SidecarPorts | null, signal: AbortSignal): Promise<{ ports: SidecarPorts; app: StartedApp }> {
    const { ports, child } = await this.proxy(pod.instance, pod.service, pod.sidecarSeed, [], signal, { previous });
    return { ports, app: { child, group: child.pid!, port: ports.inbound } };
  }

  private async proxy(instance: string, service: string, seed: number, upstreams: readonly string[], signal: AbortSignal, gateway: { previous: SidecarPorts | null } | null): Promise<{ ports: SidecarPorts; child: ChildProcess }> {
    const previous = gateway?.previous;
    const s = await this.gate.run(SIDECAR_MAIN, () => spawnNodeChild({
      name: gateway ? `gateway ${instance}` : `sidecar of ${instance}`,
      script: SIDECAR_MAIN,
      env: {
        ...this.baseEnv,
        ...this.tracingEnv,
        MESHPROOF_INSTANCE: instance,
        MESHPROOF_SERVICE: service,
        MESHPROOF_SEED: String(seed),
        ...(upstreams.length > 0 ? { MESHPROOF_UPSTREAMS: upstreams.join(',') } : {}),
        ...(gateway ? { MESHPROOF_ROLE: 'gateway' } : {}),
        ...(previous ? { MESHPROOF_PORTS: JSON.stringify({ inbound: previous.inbound, outbound: previous.outbound, admin: previous.admin }) } : {}),
      },
      credential: this.credential,
      readyTimeoutMs: this.readyTimeoutMs,
      signal,
    }), signal);
    this.children.track(instance, 'sidecar', s, GRACE_MS);
    if (s.ready.type !== 'ready' || s.ready.role !== 'sidecar') throw new Error(`sidecar of ${instance} sent an unexpected ready message`);
    return { ports: s.ready.ports, child: s.child };
  }

  /**
  An external service's instance: the built-in app with no sidecar, on loopback. `port`: the one it
  had, to start again on it after a kill (callers and the fault engine's proxies keep dialing it);
  0 = any.
  */
  async external(pod: PodPlan, port: number, signal: AbortSignal): Promise<StartedApp> {
    const app = await this.gate.run(BUILTIN_MAIN, () => spawnNodeChild({
      name: `external ${pod.instance}`,
      script: BUILTIN_MAIN,
      env: {
        ...this.baseEnv,
        PORT: String(port),
        MESHPROOF_INSTANCE: pod.instance,
        MESHPROOF_SERVICE: pod.service,
        MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
        MESHPROOF_SEED: String(pod.appSeed),
      },
      readyTimeoutMs: this.readyTimeoutMs,
      signal,
    }), signal);
    this.children.track(pod.instance, 'app', app, GRACE_MS);
    if (app.ready.type !== 'ready' || app.ready.role !== 'app') throw new Error(`external ${pod.instance} sent an unexpected ready message`);
    return { child: app.child, group: app.child.pid!, port: app.ready.port };
  }

  /**
  A pod host (src/sim/host/main.ts), through the boot gate as any of meshproof's processes; it
  gets the run's credential, which its sidecars' admin ports need, over IPC as a sidecar does.
  */
  async podHost(index: number, signal: AbortSignal): Promise<PodHost> {
    const name = `pod host ${index}`;
    const s = await this.gate.run(HOST_MAIN, () => spawnNodeChild({ name, script: HOST_MAIN, env: { ...this.baseEnv, ...this.tracingEnv }, credential: this.credential, readyTimeoutMs: this.readyTimeoutMs, signal }), signal);
    const host = new PodHost(name, s);
    this.children.trackHost(host, s, GRACE_MS);
    if (s.ready.type !== 'ready' || s.ready.role !== 'host') throw new Error(`${name} sent an unexpected ready message`);
    return host;
  }

  /** A pod's sidecar in a pod host: the same sidecar, its own listeners, started in the host's event loop. */
  hostedSidecar(host: PodHost, pod: PodPlan, signal: AbortSignal): Promise<SidecarPorts> {
    return host.sidecar(pod.instance, pod.service, pod.sidecarSeed, [], this.readyTimeoutMs, signal);
  }

  /** A pod's built-in app in a pod host, beside its sidecar. */
  async hostedApp(host: PodHost, pod: PodPlan, ports: SidecarPorts, signal: AbortSignal): Promise<StartedApp> {
    const deadlines = this.plan.scenario.mesh[pod.service]?.deadlines ?? 'off';
    const port = await host.app({ instance: pod.instance, service: pod.service, spec: pod.spec, sidecar: { host: HOST, port: ports.outbound }, deadlines, seed: pod.appSeed }, this.readyTimeoutMs, signal);
    return { child: host.child, group: host.child.pid!, port, hostedIn: host.name };
  }

  /** The pod's app, reaching the mesh through its sidecar's `ports`; resolves once it is ready. */
  app(pod: PodPlan, ports: SidecarPorts, signal: AbortSignal): Promise<StartedApp> {
    return pod.spec.command !== null && pod.spec.command !== undefined ? this.program(pod, ports, signal) : this.builtinApp(pod, ports, signal);
  }

  private async builtinApp(pod: PodPlan, ports: SidecarPorts, signal: AbortSignal): Promise<StartedApp> {
    const app = await this.gate.run(BUILTIN_MAIN, () => spawnNodeChild({
      name: `app ${pod.instance}`,
      script: BUILTIN_MAIN,
      env: {
        ...this.baseEnv,
        PORT: '0',
        MESHPROOF_INSTANCE: pod.instance,
        MESHPROOF_SERVICE: pod.service,
        MESHPROOF_SIDECAR: `${HOST}:${ports.outbound}`,
        MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
        MESHPROOF_DEADLINES: this.plan.scenario.mesh[pod.service]?.deadlines ?? 'off',
        MESHPROOF_SEED: String(pod.appSeed),
      },
      readyTimeoutMs: this.readyTimeoutMs,
      signal,
    }), signal);
    this.children.track(pod.instance, 'app', app, GRACE_MS);
    if (app.ready.type !== 'ready' || app.ready.role !== 'app') throw new Error(`app ${pod.instance} sent an unexpected ready message`);
    return { child: app.child, group: app.child.pid!, port: app.ready.port };
  }

  /**
  A user's program, under its supervisor. Not through the boot gate: its readiness is the program's
  own (seconds, maybe), which must not hold back meshproof's processes.
  */
  private async program(pod: PodPlan, ports: SidecarPorts, signal: AbortSignal): Promise<StartedApp> {
    const spec = pod.spec;
    const logFile = this.logFileOf(pod);
    const program: ProgramSpec = {
      runId: this.plan.runId,
      instance: pod.instance,
      service: pod.service,
      command: spec.command!,
      cwd: spec.cwd!,
      env: spec.env ?? {},
      // The normaliser always sets it; a spec built by hand gets the language's default.
      ready: spec.ready ?? { probe: { kind: 'tcp' }, timeoutMs: parseDuration(READY_TIMEOUT_DEFAULT) },
      sidecar: { host: HOST, port: ports.outbound },
      upstreams: Object.fromEntries(Object.entries(ports.upstreams ?? {}).map(([service, port]) => [service, { host: HOST, port }])),
      logFile,
    };
    const app = await spawnNodeChild({
      name: `the program of ${pod.instance}`,
      script: SUPERVISOR_MAIN,
      env: { ...this.baseEnv, MESHPROOF_PROGRAM: JSON.stringify(program) },
      // The program's own time-out is enforced by its supervisor, which then says why; this one is a backstop.
      readyTimeoutMs: program.ready.timeoutMs + this.readyTimeoutMs,
      signal,
      describeFailure: (why, output) => programStartFailure(pod.instance, spec, why, output, logFile),
    });
    this.children.track(pod.instance, 'app', app, PROGRAM_GRACE_MS);
    if (app.ready.type !== 'ready' || app.ready.role !== 'app' || app.ready.pid === undefined) throw new Error(`the supervisor of ${pod.instance} sent an unexpected ready message`);
    this.children.register(app.ready.pid);
    return { child: app.child, group: app.ready.pid, port: app.ready.port };
  }

  /** meshproof's fault engine, when the plan has wire faults; null otherwise. */
  async faultEngine(signal: AbortSignal): Promise<{ url: string; seed: number } | null> {
    if (!this.plan.wire) return null;
    const s = await this.gate.run(FAULT_ENGINE_MAIN, () => spawnNodeChild({
      name: 'fault engine',
      script: FAULT_ENGINE_MAIN,
      env: { ...this.baseEnv, MESHPROOF_SEED: String(this.plan.wireSeed) },
      credential: this.credential,
      readyTimeoutMs: this.readyTimeoutMs,
      signal,
    }), signal);
    this.children.track('fault-engine', 'fault-engine', s, GRACE_MS);
    if (s.ready.type !== 'ready' || s.ready.role !== 'fault-engine') throw new Error('the fault engine sent an unexpected ready message');
    return { url: `http://${HOST}:${s.ready.port}`, seed: s.ready.seed };
  }

  /**
  The run's rate-limit service on a port it picks, when the plan has quotas (null otherwise); started
  again by a process fault's restart, then on a new port the control plane hands the sidecars. It
  gets the run's credential over IPC, like a sidecar: decisions and its configuration must carry it.
  */
  async rateLimitService(signal: AbortSignal): Promise<StartedApp | null> {
    if (!this.plan.rateLimit) return null;
    const s = await this.gate.run(
      RATE_LIMIT_MAIN,
      () => spawnNodeChild({ name: 'rate-limit service', script: RATE_LIMIT_MAIN, env: this.baseEnv, credential: this.credential, readyTimeoutMs: this.readyTimeoutMs, signal }),
      signal,
    );
    this.children.track(RATE_LIMIT_SERVICE_INSTANCE, 'ratelimit', s, GRACE_MS);
    if (s.ready.type !== 'ready' || s.ready.role !== 'ratelimit') throw new Error('the rate-limit service sent an unexpected ready message');
    return { child: s.child, group: s.child.pid!, port: s.ready.port };
  }
}

import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import { parseDuration } from '../../scenario/duration.ts';
import { runsOwnProgram } from '../../scenario/scenario.ts';
import { READY_TIMEOUT_DEFAULT } from '../../contract/defaults.ts';
import type { SidecarPorts } from '../../contract/child-message.ts';
import type { Runtime, RuntimeStartOptions, StartedTopology } from '../runtime.ts';
import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningPod } from '../../contract/running-pod.ts';
import { RunRegistry, reapOrphans } from '../../process/run-registry.ts';
import { killProcessesOfRun } from '../../process/run-processes.ts';
import { spawnNodeChild, stopChild, type SpawnedChild } from '../../process/child-process.ts';
import { codeLayout } from '../../util/code-layout.ts';
import { checkLocalServices, programStartFailure } from './own-program.ts';
import { signalGroup, type ProgramSpec } from './supervised-program.ts';
import { newRunCredential } from '../../auth/run-credential.ts';

const SIDECAR_MAIN = codeLayout.file('sim/sidecar/main.ts');
const BUILTIN_MAIN = codeLayout.file('sim/builtin/main.ts');
const SUPERVISOR_MAIN = codeLayout.file('runtime/local/command-supervisor.ts');
const FAULT_ENGINE_MAIN = codeLayout.file('chaos/toxiproxy/engine-process.ts');
const HOST = '127.0.0.1';

export { checkLocalServices };

export interface LocalRuntimeOptions {
  /** Directory of the run registry used to reap a crashed run's processes. @default $MESHPROOF_STATE_DIR or <tmpdir>/meshproof/runs */
  stateDir?: string;
  /** How long each meshproof process may take to report it is ready (a user's program has its scenario's ready.timeout on top). @default 15000 */
  readyTimeoutMs?: number;
}

/** Every app and sidecar as a child process of the harness, on loopback, on ports the children pick. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private readonly options: LocalRuntimeOptions;

  constructor(options: LocalRuntimeOptions = {}) {
    this.options = options;
  }

  async start(plan: Plan, options: RuntimeStartOptions = {}): Promise<StartedTopology> {
    checkLocalServices(plan.scenario.services);
    reapOrphans(this.options.stateDir);
    const registry = new RunRegistry(plan.runId, { dir: this.options.stateDir });
    const children: { instance: string; role: 'app' | 'sidecar' | 'fault-engine'; child: ChildProcess }[] = [];
    const exitListeners: ((instance: string, role: 'app' | 'sidecar' | 'fault-engine', code: number | null, signal: string | null) => void)[] = [];
    let stopping = false;
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 15_000;
    // One start that fails stops the others at once, rather than after their own time-outs.
    const starting = new AbortController();
    const onAbort = () => starting.abort();
    if (options.signal?.aborted) starting.abort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const logsDir = options.logsDir ?? null;
    if (logsDir && plan.pods.some((p) => p.spec.command !== null && p.spec.command !== undefined)) mkdirSync(logsDir, { recursive: true });
    const baseEnv = { MESHPROOF_RUN_ID: plan.runId };
    // Only sidecars and the fault engine get it, over IPC; apps never do.
    const credential = options.credential ?? newRunCredential();
    const tracingEnv: Record<string, string> = options.tracing
      ? {
          MESHPROOF_OTLP_ENDPOINT: options.tracing.endpoint,
          MESHPROOF_TRACE_SAMPLE: String(options.tracing.sampleRatio),
          MESHPROOF_TRACE_MAX_PER_SECOND: String(options.tracing.maxTracesPerSecond),
        }
      : {};

    const apps = new Map<string, ChildProcess>();
    /**
    The process group process faults signal, by instance: a user's program's own group (its
    supervisor stays out of it), or the built-in app's (it leads its own).
    */
    const groups = new Map<string, number>();
    /** Apps being killed on purpose (a process fault): their exit is not news. */
    const expectedExits = new Set<ChildProcess>();
    const track = (instance: string, role: 'app' | 'sidecar' | 'fault-engine', spawned: SpawnedChild) => {
      const { child } = spawned;
      children.push({ instance, role, child });
      if (role === 'app') apps.set(instance, child);
      registry.add(child.pid!);
      // A supervisor says how its program ended just before it exits; 'close' comes after that message.
      let program: { code: number | null; signal: string | null } | null = null;
      child.on('message', (m: { type?: string; code?: number | null; signal?: string | null }) => {
        if (m?.type === 'exited') program = { code: m.code ?? null, signal: m.signal ?? null };
      });
      child.once('close', (code, signal) => {
        registry.remove(child.pid!);
        if (!stopping && !expectedExits.has(child)) for (const l of exitListeners) l(instance, role, program?.code ?? code, program?.signal ?? signal);
      });
    };

    const startSidecar = async (instance: string, service: string, seed: number, upstreams: readonly string[] = []) => {
      const s = await spawnNodeChild({
        name: `sidecar of ${instance}`,
        script: SIDECAR_MAIN,
        env: {
          ...baseEnv,
          ...tracingEnv,
          MESHPROOF_INSTANCE: instance,
          MESHPROOF_SERVICE: service,
          MESHPROOF_SEED: String(seed),
          ...(upstreams.length > 0 ? { MESHPROOF_UPSTREAMS: upstreams.join(',') } : {}),
        },
        credential,
        readyTimeoutMs,
        signal: starting.signal,
      });
      track(instance, 'sidecar', s);
      if (s.ready.type !== 'ready' || s.ready.role !== 'sidecar') throw new Error(`sidecar of ${instance} sent an unexpected ready message`);
      return s.ready.ports;
    };

    const logFileOf = (pod: PodPlan): string | null => (logsDir && pod.spec.command ? join(logsDir, `${pod.instance}.log`) : null);

    /** A user's program, under its supervisor; resolves with its port once it is ready. */
    const startProgram = async (pod: PodPlan, ports: SidecarPorts, signal: AbortSignal): Promise<number> => {
      const spec = pod.spec;
      const logFile = logFileOf(pod);
      const program: ProgramSpec = {
        runId: plan.runId,
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
        env: { ...baseEnv, MESHPROOF_PROGRAM: JSON.stringify(program) },
        // The program's own time-out is enforced by its supervisor, which then says why; this one is a backstop.
        readyTimeoutMs: program.ready.timeoutMs + readyTimeoutMs,
        signal,
        describeFailure: (why, output) => programStartFailure(pod.instance, spec, why, output, logFile),
      });
      track(pod.instance, 'app', app);
      if (app.ready.type !== 'ready' || app.ready.role !== 'app' || app.ready.pid === undefined) throw new Error(`the supervisor of ${pod.instance} sent an unexpected ready message`);
      groups.set(pod.instance, app.ready.pid);
      registry.add(app.ready.pid);
      return app.ready.port;
    };

    const startApp = async (pod: PodPlan, ports: SidecarPorts, signal: AbortSignal = starting.signal): Promise<number> => {
      if (pod.spec.command !== null && pod.spec.command !== undefined) return startProgram(pod, ports, signal);
      const outboundPort = ports.outbound;
      const app = await spawnNodeChild({
        name: `app ${pod.instance}`,
        script: BUILTIN_MAIN,
        env: {
          ...baseEnv,
          PORT: '0',
          MESHPROOF_INSTANCE: pod.instance,
          MESHPROOF_SERVICE: pod.service,
          MESHPROOF_SIDECAR: `${HOST}:${outboundPort}`,
          MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
          MESHPROOF_SEED: String(pod.appSeed),
        },
        readyTimeoutMs,
        signal,
      });
      track(pod.instance, 'app', app);
      if (app.ready.type !== 'ready' || app.ready.role !== 'app') throw new Error(`app ${pod.instance} sent an unexpected ready message`);
      groups.set(pod.instance, app.child.pid!);
      return app.ready.port;
    };

    const running = new Map<string, RunningPod>();
    const sidecarPorts = new Map<string, SidecarPorts>();
    const startPod = async (pod: PodPlan): Promise<RunningPod> => {
      // A user's program reaches each service it calls on a listener of its own (its <NAME>_URL).
      const upstreams = runsOwnProgram(pod.spec) ? (plan.routes[pod.service] ?? []) : [];
      const ports: SidecarPorts = await startSidecar(pod.instance, pod.service, pod.sidecarSeed, upstreams);
      sidecarPorts.set(pod.instance, ports);
      const appPort = await startApp(pod, ports);
      const pod_: RunningPod = {
        instance: pod.instance,
        service: pod.service,
        adminUrl: `http://${HOST}:${ports.admin}`,
        inbound: { host: HOST, port: ports.inbound },
        outbound: { host: HOST, port: ports.outbound },
        appPort,
        ...(pod.spec.command ? { logFile: logFileOf(pod) } : {}),
      };
      running.set(pod.instance, pod_);
      options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: ports.inbound, outbound: ports.outbound, admin: ports.admin, app: appPort } });
      return pod_;
    };

    const appOf = (instance: string): ChildProcess => {
      const app = apps.get(instance);
      if (!app) throw new Error(`no app process for instance ${instance}`);
      return app;
    };
    const isRunning = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
    const planned = (instance: string) => plan.pods.find((p) => p.instance === instance);
    /** "the app of x (pid n)" or "the program of x (process group n)": what a fault hit, in its detail. */
    const what = (instance: string) => {
      const group = groups.get(instance);
      return planned(instance)?.spec.command ? `the program of ${instance} (process group ${group})` : `the app of ${instance} (pid ${group})`;
    };
    // Signals go to the process group: a user's program's children are hit with it (a built-in app is alone in its own).
    const processes: ProcessControl = {
      async kill(instance) {
        const app = appOf(instance);
        if (!isRunning(app)) return `${what(instance)} was not running`;
        expectedExits.add(app);
        const exited = new Promise((r) => app.once('exit', r));
        signalGroup(groups.get(instance) ?? app.pid!, 'SIGKILL');
        // A supervisor exits once its program is gone; a built-in app is the group.
        await exited;
        return `SIGKILL sent to ${what(instance)}`;
      },
      async pause(instance) {
        appOf(instance);
        signalGroup(groups.get(instance)!, 'SIGSTOP');
        return `SIGSTOP sent to ${what(instance)}: it keeps its port and answers nothing`;
      },
      async resume(instance) {
        appOf(instance);
        signalGroup(groups.get(instance)!, 'SIGCONT');
        return `SIGCONT sent to ${what(instance)}`;
      },
      async start(instance) {
        const pod = planned(instance);
        const r = running.get(instance);
        const ports = sidecarPorts.get(instance);
        if (!pod || !r || !ports) throw new Error(`unknown instance ${instance}`);
        const old = apps.get(instance);
        if (old && isRunning(old)) throw new Error(`the app of ${instance} is still running`);
        // A user's program is started again by its command, as a restarted container runs its entrypoint.
        const port = await startApp(pod, ports, options.signal ?? new AbortController().signal);
        r.appPort = port;
        return port;
      },
    };

    const stop = async () => {
      stopping = true;
      options.signal?.removeEventListener('abort', onAbort);
      const live = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
      // A supervisor gives its program a grace period of its own (SIGTERM, then SIGKILL) before it exits.
      await Promise.all(live.map((c) => stopChild(c.child, c.role === 'app' && planned(c.instance)?.spec.command ? 3000 : 2000)));
      // Whatever a user's program started and left behind, wherever it went.
      killProcessesOfRun(plan.runId);
      registry.close();
      return live.length;
    };

    const startFaultEngine = async () => {
      if (!plan.wire) return null;
      const s = await spawnNodeChild({
        name: 'fault engine',
        script: FAULT_ENGINE_MAIN,
        env: { ...baseEnv, MESHPROOF_SEED: String(plan.wireSeed) },
        credential,
        readyTimeoutMs,
        signal: starting.signal,
      });
      track('fault-engine', 'fault-engine', s);
      if (s.ready.type !== 'ready' || s.ready.role !== 'fault-engine') throw new Error('the fault engine sent an unexpected ready message');
      return { url: `http://${HOST}:${s.ready.port}`, seed: s.ready.seed };
    };

    try {
      // allSettled, not all: on a failure, every start still under way must finish (and be tracked)
      // before the teardown, or a late child would outlive the run.
      let firstFailure: { reason: unknown } | null = null;
      const abortOnFailure = <T>(p: Promise<T>): Promise<T> =>
        p.catch((err: unknown) => {
          firstFailure ??= { reason: err };
          starting.abort();
          throw err;
        });
      const settled = await Promise.allSettled([
        abortOnFailure(startFaultEngine()),
        abortOnFailure(startSidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed)),
        ...plan.pods.map((p) => abortOnFailure(startPod(p))),
      ]);
      // The first failure is the one to tell: the others are mostly starts it interrupted.
      if (firstFailure) throw (firstFailure as { reason: unknown }).reason;
      options.signal?.removeEventListener('abort', onAbort);
      const faultEngine = (settled[0] as PromiseFulfilledResult<{ url: string; seed: number } | null>).value;
      const ingressPorts = (settled[1] as PromiseFulfilledResult<SidecarPorts>).value;
      const pods = settled.slice(2).map((s) => (s as PromiseFulfilledResult<RunningPod>).value);
      const ingress: RunningPod = {
        instance: plan.ingress.instance,
        service: plan.ingress.service,
        adminUrl: `http://${HOST}:${ingressPorts.admin}`,
        inbound: { host: HOST, port: ingressPorts.inbound },
        outbound: { host: HOST, port: ingressPorts.outbound },
        appPort: null,
      };
      return {
        pods,
        ingress,
        stop,
        processes,
        credential,
        faultEngine,
        onUnexpectedExit: (l) => void exitListeners.push(l),
        [Symbol.asyncDispose]: async () => void (await stop()),
      };
    } catch (err) {
      await stop();
      throw err;
    }
  }
}

import type { ChildProcess } from 'node:child_process';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import type { ServiceSpec } from '../../scenario/scenario.ts';
import type { SidecarPorts } from '../../sim/sidecar-config.ts';
import type { ProcessControl, Runtime, RuntimeStartOptions, RunningPod, StartedTopology } from '../runtime.ts';
import { RunRegistry, reapOrphans } from '../run-registry.ts';
import { spawnNodeChild, stopChild, type SpawnedChild } from './child-process.ts';
import { MeshproofError } from '../../errors.ts';
import { codeLayout } from '../../util/code-layout.ts';

const SIDECAR_MAIN = codeLayout.file('sim/sidecar/main.ts');
const BUILTIN_MAIN = codeLayout.file('sim/builtin/main.ts');
const FAULT_ENGINE_MAIN = codeLayout.file('chaos/toxiproxy/engine-process.ts');
const HOST = '127.0.0.1';

export interface LocalRuntimeOptions {
  /** Directory of the run registry used to reap a crashed run's processes. @default $MESHPROOF_STATE_DIR or <tmpdir>/meshproof/runs */
  stateDir?: string;
  /** How long each process may take to report it is ready. @default 15000 */
  readyTimeoutMs?: number;
}

/**
Images run only on the Docker runtime. Checked twice on purpose: by the CLI before anything starts
(`where` = the scenario file; an early exit 2), and by `LocalRuntime.start` for callers of the API.
*/
export function refuseImages(services: readonly ServiceSpec[], where = ''): void {
  const imaged = services.find((s) => s.image !== null && s.image !== undefined);
  if (imaged) {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `${where}service ${imaged.name} runs the image ${imaged.image}, and images run only on the Docker runtime: run with --runtime docker (or runtime: docker in the scenario)`,
    );
  }
}

/** Every app and sidecar as a child process of the harness, on loopback, on ports the children pick. */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private readonly options: LocalRuntimeOptions;

  constructor(options: LocalRuntimeOptions = {}) {
    this.options = options;
  }

  async start(plan: Plan, options: RuntimeStartOptions = {}): Promise<StartedTopology> {
    refuseImages(plan.pods.map((p) => p.spec));
    reapOrphans(this.options.stateDir);
    const registry = new RunRegistry(plan.runId, { dir: this.options.stateDir });
    const children: { instance: string; role: 'app' | 'sidecar' | 'fault-engine'; child: ChildProcess }[] = [];
    const exitListeners: ((instance: string, role: 'app' | 'sidecar' | 'fault-engine', code: number | null, signal: string | null) => void)[] = [];
    let stopping = false;
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 15_000;
    const baseEnv = { MESHPROOF_RUN_ID: plan.runId };
    const tracingEnv: Record<string, string> = options.tracing
      ? {
          MESHPROOF_OTLP_ENDPOINT: options.tracing.endpoint,
          MESHPROOF_TRACE_SAMPLE: String(options.tracing.sampleRatio),
          MESHPROOF_TRACE_MAX_PER_SECOND: String(options.tracing.maxTracesPerSecond),
        }
      : {};

    const apps = new Map<string, ChildProcess>();
    /** Apps being killed on purpose (a process fault): their exit is not news. */
    const expectedExits = new Set<ChildProcess>();
    const track = (instance: string, role: 'app' | 'sidecar' | 'fault-engine', spawned: SpawnedChild) => {
      const { child } = spawned;
      children.push({ instance, role, child });
      if (role === 'app') apps.set(instance, child);
      registry.add(child.pid!);
      child.once('exit', (code, signal) => {
        registry.remove(child.pid!);
        if (!stopping && !expectedExits.has(child)) for (const l of exitListeners) l(instance, role, code, signal);
      });
    };

    const startSidecar = async (instance: string, service: string, seed: number) => {
      const s = await spawnNodeChild({
        name: `sidecar of ${instance}`,
        script: SIDECAR_MAIN,
        env: { ...baseEnv, ...tracingEnv, MESHPROOF_INSTANCE: instance, MESHPROOF_SERVICE: service, MESHPROOF_SEED: String(seed) },
        readyTimeoutMs,
        signal: options.signal,
      });
      track(instance, 'sidecar', s);
      if (s.ready.type !== 'ready' || s.ready.role !== 'sidecar') throw new Error(`sidecar of ${instance} sent an unexpected ready message`);
      return s.ready.ports;
    };

    const startApp = async (pod: PodPlan, outboundPort: number): Promise<number> => {
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
        signal: options.signal,
      });
      track(pod.instance, 'app', app);
      if (app.ready.type !== 'ready' || app.ready.role !== 'app') throw new Error(`app ${pod.instance} sent an unexpected ready message`);
      return app.ready.port;
    };

    const running = new Map<string, RunningPod>();
    const startPod = async (pod: PodPlan): Promise<RunningPod> => {
      const ports: SidecarPorts = await startSidecar(pod.instance, pod.service, pod.sidecarSeed);
      const appPort = await startApp(pod, ports.outbound);
      const pod_: RunningPod = {
        instance: pod.instance,
        service: pod.service,
        adminUrl: `http://${HOST}:${ports.admin}`,
        inbound: { host: HOST, port: ports.inbound },
        outbound: { host: HOST, port: ports.outbound },
        appPort,
      };
      running.set(pod.instance, pod_);
      options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { ...ports, app: appPort } });
      return pod_;
    };

    const appOf = (instance: string): ChildProcess => {
      const app = apps.get(instance);
      if (!app) throw new Error(`no app process for instance ${instance}`);
      return app;
    };
    const isRunning = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
    const processes: ProcessControl = {
      async kill(instance) {
        const app = appOf(instance);
        if (!isRunning(app)) return `app of ${instance} was not running`;
        expectedExits.add(app);
        const exited = new Promise((r) => app.once('exit', r));
        app.kill('SIGKILL');
        await exited;
        return `SIGKILL sent to the app of ${instance} (pid ${app.pid})`;
      },
      async pause(instance) {
        const app = appOf(instance);
        app.kill('SIGSTOP');
        return `SIGSTOP sent to the app of ${instance} (pid ${app.pid}): it keeps its port and answers nothing`;
      },
      async resume(instance) {
        const app = appOf(instance);
        app.kill('SIGCONT');
        return `SIGCONT sent to the app of ${instance} (pid ${app.pid})`;
      },
      async start(instance) {
        const pod = plan.pods.find((p) => p.instance === instance);
        const r = running.get(instance);
        if (!pod || !r) throw new Error(`unknown instance ${instance}`);
        const old = apps.get(instance);
        if (old && isRunning(old)) throw new Error(`the app of ${instance} is still running`);
        const port = await startApp(pod, r.outbound.port);
        r.appPort = port;
        return port;
      },
    };

    const stop = async () => {
      stopping = true;
      const live = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
      await Promise.all(live.map((c) => stopChild(c.child)));
      registry.close();
      return live.length;
    };

    const startFaultEngine = async () => {
      if (!plan.wire) return null;
      const s = await spawnNodeChild({
        name: 'fault engine',
        script: FAULT_ENGINE_MAIN,
        env: { ...baseEnv, MESHPROOF_SEED: String(plan.wireSeed) },
        readyTimeoutMs,
        signal: options.signal,
      });
      track('fault-engine', 'fault-engine', s);
      if (s.ready.type !== 'ready' || s.ready.role !== 'fault-engine') throw new Error('the fault engine sent an unexpected ready message');
      return { url: `http://${HOST}:${s.ready.port}`, seed: s.ready.seed };
    };

    try {
      // allSettled, not all: on a failure, every start still under way must finish (and be tracked)
      // before the teardown, or a late child would outlive the run.
      const settled = await Promise.allSettled([
        startFaultEngine(),
        startSidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed),
        ...plan.pods.map(startPod),
      ]);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
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

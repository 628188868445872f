import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import type { SidecarPorts } from '../../sim/sidecar-config.ts';
import type { Runtime, RuntimeStartOptions, RunningPod, StartedTopology } from '../runtime.ts';
import { RunRegistry, reapOrphans } from '../run-registry.ts';
import { spawnNodeChild, stopChild, type SpawnedChild } from './child-process.ts';

const SIDECAR_MAIN = fileURLToPath(new URL('../../sim/sidecar/main.ts', import.meta.url));
const BUILTIN_MAIN = fileURLToPath(new URL('../../sim/builtin/main.ts', import.meta.url));
const HOST = '127.0.0.1';

export interface LocalRuntimeOptions {
  /** Directory of the run registry used to reap a crashed run's processes. @default $MESHPROOF_STATE_DIR or <tmpdir>/meshproof/runs */
  stateDir?: string;
  /** How long each process may take to report it is ready. @default 15000 */
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
    reapOrphans(this.options.stateDir);
    const registry = new RunRegistry(plan.runId, { dir: this.options.stateDir });
    const children: { instance: string; role: 'app' | 'sidecar'; child: ChildProcess }[] = [];
    const exitListeners: ((instance: string, role: 'app' | 'sidecar', code: number | null, signal: string | null) => void)[] = [];
    let stopping = false;
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 15_000;
    const baseEnv = { MESHPROOF_RUN_ID: plan.runId };

    const track = (instance: string, role: 'app' | 'sidecar', spawned: SpawnedChild) => {
      const { child } = spawned;
      children.push({ instance, role, child });
      registry.add(child.pid!);
      child.once('exit', (code, signal) => {
        registry.remove(child.pid!);
        if (!stopping) for (const l of exitListeners) l(instance, role, code, signal);
      });
    };

    const startSidecar = async (instance: string, service: string, seed: number) => {
      const s = await spawnNodeChild({
        name: `sidecar of ${instance}`,
        script: SIDECAR_MAIN,
        env: { ...baseEnv, MESHPROOF_INSTANCE: instance, MESHPROOF_SERVICE: service, MESHPROOF_SEED: String(seed) },
        readyTimeoutMs,
        signal: options.signal,
      });
      track(instance, 'sidecar', s);
      if (s.ready.type !== 'ready' || s.ready.role !== 'sidecar') throw new Error(`sidecar of ${instance} sent an unexpected ready message`);
      return s.ready.ports;
    };

    const startPod = async (pod: PodPlan): Promise<RunningPod> => {
      const ports: SidecarPorts = await startSidecar(pod.instance, pod.service, pod.sidecarSeed);
      const app = await spawnNodeChild({
        name: `app ${pod.instance}`,
        script: BUILTIN_MAIN,
        env: {
          ...baseEnv,
          PORT: '0',
          MESHPROOF_INSTANCE: pod.instance,
          MESHPROOF_SERVICE: pod.service,
          MESHPROOF_SIDECAR: `${HOST}:${ports.outbound}`,
          MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
          MESHPROOF_SEED: String(pod.appSeed),
        },
        readyTimeoutMs,
        signal: options.signal,
      });
      track(pod.instance, 'app', app);
      const appPort = app.ready.type === 'ready' && app.ready.role === 'app' ? app.ready.port : null;
      const pod_: RunningPod = {
        instance: pod.instance,
        service: pod.service,
        adminUrl: `http://${HOST}:${ports.admin}`,
        inbound: { host: HOST, port: ports.inbound },
        outbound: { host: HOST, port: ports.outbound },
        appPort,
      };
      options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { ...ports, app: appPort ?? 0 } });
      return pod_;
    };

    const stop = async () => {
      stopping = true;
      const live = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
      await Promise.all(live.map((c) => stopChild(c.child)));
      registry.close();
      return live.length;
    };

    try {
      // allSettled, not all: on a failure, every start still under way must finish (and be tracked)
      // before the teardown, or a late child would outlive the run.
      const settled = await Promise.allSettled([
        startSidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed),
        ...plan.pods.map(startPod),
      ]);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const ingressPorts = (settled[0] as PromiseFulfilledResult<SidecarPorts>).value;
      const pods = settled.slice(1).map((s) => (s as PromiseFulfilledResult<RunningPod>).value);
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
        onUnexpectedExit: (l) => void exitListeners.push(l),
        [Symbol.asyncDispose]: async () => void (await stop()),
      };
    } catch (err) {
      await stop();
      throw err;
    }
  }
}

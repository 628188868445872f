import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type Docker from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { MeshproofError } from '../../errors.ts';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { appEnvironment } from '../../scenario/app-contract.ts';
import type { ReadySpec, ServiceSpec } from '../../scenario/scenario.ts';
import type { Runtime, RuntimeStartOptions, StartedTopology } from '../runtime.ts';
import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningPod } from '../../contract/running-pod.ts';
import { checkEngine, dockerClient, podCgroupParent } from './docker-engine.ts';
import { currentHarness, LABEL, runLabels, type ContainerRole } from './labels.ts';
import { FAULT_ENGINE_API_PORT, FAULT_ENGINE_HOST, POD_PORTS, SPAN_RELAY_HOST, SPAN_RELAY_PORT, upstreamPorts } from './pod-ports.ts';
import { drainSpanRelay, type SpanRelayDrain } from './span-relay-drain.ts';
import { newRunCredential } from '../../auth/run-credential.ts';
import { CREDENTIAL_FILE_ENV } from '../../auth/credential-handoff.ts';
import { CREDENTIAL_PATH, credentialArchive } from './credential-archive.ts';
import { containerOutput, ContainerNotReady, PodContainer, RunningWaitStrategy, waitHttpReady, waitLogLine } from './pod-container.ts';
import { reapLeftovers, removeContainer, removeNetwork } from './reaper.ts';
import { ensureRuntimeImage, type RuntimeImage, type RuntimeImageOptions } from './runtime-image.ts';
import { codeLayout } from '../../util/code-layout.ts';

/** Entries inside the runtime image, relative to its working directory (meshproof's root there). */
const ENTRY = {
  sidecar: codeLayout.relative('runtime/docker/entry/sidecar.ts'),
  faultEngine: codeLayout.relative('runtime/docker/entry/fault-engine.ts'),
  // The built-in app runs its own entry unchanged: it takes PORT and MESHPROOF_SIDECAR from the
  // environment, binds the pod's 127.0.0.1 and prints its ready line — the contract of `image:`.
  builtinApp: codeLayout.relative('sim/builtin/main.ts'),
  spanRelay: codeLayout.relative('runtime/docker/entry/span-relay.ts'),
} as const;

/** `node` flags of every meshproof container. */
const NODE = ['node', '--disable-warning=ExperimentalWarning'];

/** The user meshproof's containers run as (USER in docker/runtime-base*.Dockerfile): the owner of the credential file. */
const CONTAINER_USER = { uid: 65534, gid: 65534 };

export interface DockerRuntimeOptions {
  /** The Docker engine. @default DOCKER_HOST, else the local socket */
  docker?: Docker;
  /** How the runtime image is built (base image, Node binary, busybox). */
  image?: RuntimeImageOptions;
  /** How long each container may take to be ready. @default 60000 */
  readyTimeoutMs?: number;
  /** Containers created at once (Docker serialises much of a container's creation; more only queue there). Readiness waits are not limited. @default 8 */
  concurrency?: number;
  /** Access-log lines from every sidecar in its container's output (`docker logs`). @default false */
  accessLog?: boolean;
  /**
  The cgroup the run's containers are created in, or null for Docker's default.
  @default the harness's own cgroup with cgroup v1 and the cgroupfs driver (see podCgroupParent), else Docker's default
  */
  cgroupParent?: string | null;
}

/** A pod of the Docker runtime: RunningPod's fields, plus where its containers and host-side ports are. */
export interface DockerRunningPod extends RunningPod {
  containers: { sidecar: string; app: string | null };
  /** Ports published on the host's 127.0.0.1 (the harness's view of the pod). */
  published: { admin: number; agent: number; outbound: number | null };
}

/**
Every pod as two containers sharing a network namespace — the sidecar's container owns it and the
app's joins it, the Kubernetes pod pattern — on one user-defined network per run, with the fault
engine in its own container. The harness reaches admin endpoints, pod agents, the ingress and the
fault API only through ports published on 127.0.0.1; pods reach each other by name on the run's
network. Everything is labelled with the run, and a crashed run's containers and networks are
reaped at the next start.

Why the sidecar owns the namespace (and not the app, `container:<app>`): a namespace lives and dies
with its owner's container. Owned by the app, a process fault that kills the app would take the pod's
network with it — the sidecar cut off from the mesh and its admin port gone — and a restarted app
would come back in a new namespace without its sidecar. In Kubernetes a pause container owns it for
that reason; here the sidecar lives as long as the pod, so it plays that part.
*/
export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly options: DockerRuntimeOptions;

  constructor(options: DockerRuntimeOptions = {}) {
    this.options = options;
  }

  async start(plan: Plan, options: RuntimeStartOptions = {}): Promise<StartedTopology> {
    refuseCommands(plan.scenario.services);
    configureTestcontainers();
    const docker = this.options.docker ?? dockerClient();
    await checkEngine(docker);
    // Leftovers never stop a run: what cannot be reaped now is tried again at the next start.
    await reapLeftovers(docker).catch(() => null);
    const image = await ensureRuntimeImage(docker, this.options.image);
    const cgroupParent = this.options.cgroupParent !== undefined ? (this.options.cgroupParent ?? undefined) : await podCgroupParent(docker);
    return startTopology(docker, image, plan, options, { ...this.options, cgroupParent });
  }
}

/**
testcontainers' settings for meshproof, unless the user set them: its reaper (Ryuk) is an image that
cannot be pulled without a registry, and meshproof reaps its own leftovers; the host is where the
published ports are (127.0.0.1), also when the harness itself runs in a container (/.dockerenv),
where testcontainers would otherwise pick the bridge gateway.
*/
function configureTestcontainers(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
}

async function startTopology(docker: Docker, image: RuntimeImage, plan: Plan, options: RuntimeStartOptions, settings: DockerRuntimeOptions): Promise<StartedTopology> {
  const readyTimeoutMs = settings.readyTimeoutMs ?? 60_000;
  const labels = runLabels(plan.runId, plan.scenario.name, currentHarness());
  const prefix = `meshproof-${plan.runId}`;
  // Sidecars export spans to the run's span relay container; the harness drains it into its receiver.
  const tracingEnv: Record<string, string> = options.tracing
    ? {
        MESHPROOF_OTLP_ENDPOINT: `http://${SPAN_RELAY_HOST}:${SPAN_RELAY_PORT}/v1/traces`,
        MESHPROOF_TRACE_SAMPLE: String(options.tracing.sampleRatio),
        MESHPROOF_TRACE_MAX_PER_SECOND: String(options.tracing.maxTracesPerSecond),
      }
    : {};
  const networkName = prefix;
  const logsDir = options.logsDir ?? null;
  const imaged = new Set(plan.pods.filter((p) => userImageOf(p.spec)).map((p) => p.instance));
  const saveImageLogs = async (containers: Docker.ContainerInfo[]) => {
    const apps = containers.filter((c) => c.Labels[LABEL.role] === 'app' && imaged.has(c.Labels[LABEL.instance]));
    if (apps.length === 0 || !logsDir) return;
    await mkdir(logsDir, { recursive: true });
    await Promise.all(apps.map(async (c) => writeFile(join(logsDir, `${c.Labels[LABEL.instance]}.log`), await containerOutput(docker.getContainer(c.Id)))));
  };
  // Copied into the sidecar, fault engine and span relay containers, never into an app's; in no
  // environment variable (docker inspect shows those).
  const credential = options.credential ?? newRunCredential();
  const withCredential = (c: PodContainer): PodContainer =>
    c.withCopyArchivesToContainer([{ tar: credentialArchive(credential, CONTAINER_USER), target: '/' }]).withEnvironment({ [CREDENTIAL_FILE_ENV]: CREDENTIAL_PATH });
  const exitListeners: ((instance: string, role: Exclude<ContainerRole, 'span-relay'>, code: number | null, signal: string | null) => void)[] = [];
  /** Containers killed or stopped on purpose (a process fault): their exit is not news. */
  const expectedExits = new Set<string>();
  const running = new Map<string, DockerRunningPod>();
  let stopping = false;
  let stopped: Promise<number> | null = null;
  let events: NodeJS.ReadableStream | null = null;
  /** The span relay's drain, when the run traces (see startSpanRelay). */
  let spanRelay: SpanRelayDrain | null = null;

  const stop = (): Promise<number> =>
    (stopped ??= (async () => {
      stopping = true;
      process.off('exit', removeOnExit);
      (events as unknown as { destroy?: () => void } | null)?.destroy?.();
      await spanRelay?.finish().catch(() => {});
      const mine = await docker.listContainers({ all: true, filters: { label: [`${LABEL.run}=${plan.runId}`] } }).catch(() => []);
      // A user's image's output (every start of its container, restarts included) goes to the report before the container does.
      if (logsDir) await saveImageLogs(mine).catch(() => {});
      const live = mine.filter((c) => c.State === 'running' || c.State === 'paused').length;
      await Promise.all(mine.map((c) => removeContainer(docker, c.Id).catch(() => false)));
      const nets = await docker.listNetworks({ filters: { label: [`${LABEL.run}=${plan.runId}`] } }).catch(() => []);
      await Promise.all(nets.map((n) => removeNetwork(docker, n.Id).catch(() => false)));
      return live;
    })());

  // Last resort when the harness exits without stopping (process.exit on an error path): the
  // removal has to be synchronous there, so it goes through the docker CLI when there is one.
  const removeOnExit = () => {
    if (stopped) return;
    spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=${LABEL.run}=${plan.runId}) >/dev/null 2>&1; docker network rm ${networkName} >/dev/null 2>&1`], { stdio: 'ignore', timeout: 15_000 });
  };
  process.on('exit', removeOnExit);

  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', CheckDuplicate: true, Labels: { ...labels, [LABEL.role]: 'network' } });
    events = await watchExits(docker, plan.runId, (e) => {
      // The span relay is telemetry: its end is not the run's business.
      const role = e.role;
      if (expectedExits.delete(e.id) || stopping || role === 'span-relay') return;
      for (const l of exitListeners) l(e.instance, role, e.code, e.signal);
    });

    const container = (role: ContainerRole, instance: string, service: string) =>
      new PodContainer(image.tag)
        .withName(role === 'app' ? `${prefix}-${instance}-app` : `${prefix}-${instance}`)
        .withLabels({ ...labels, [LABEL.role]: role, [LABEL.instance]: instance, [LABEL.service]: service })
        .withInit()
        .withCgroupParent(settings.cgroupParent ?? undefined)
        .withStartupTimeout(readyTimeoutMs);

    // Only the containers' creation is limited: it is what Docker serialises; the waits are not.
    const limit = limiter(settings.concurrency ?? 8);

    /** Waits for a started container's readiness route; a failure is the run's start-up failure. */
    const ready = async (started: StartedTestContainer, url: string, what: string, hint = ''): Promise<void> => {
      try {
        await waitHttpReady(docker.getContainer(started.getId()), url, { what, timeoutMs: readyTimeoutMs, signal: options.signal });
      } catch (err) {
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${what} did not start${hint}: ${(err as Error).message}`, { cause: err });
      }
    };

    // Containers are started without waiting (RunningWaitStrategy) and their readiness is polled
    // afterwards: the app container can join its pod as soon as the sidecar's container runs, and
    // every pod's Node processes boot at once instead of one container's start-up after another.
    const startSidecar = async (instance: string, service: string, seed: number, ingress: boolean, upstreams: readonly string[] = []): Promise<StartedTestContainer> => {
      const c = withCredential(container('sidecar', instance, service))
        .withRunNetwork(networkName, instance)
        .withLoopbackPorts(POD_PORTS.admin, POD_PORTS.agent, ...(ingress ? [POD_PORTS.outbound] : []))
        .withEnvironment({
          MESHPROOF_RUN_ID: plan.runId,
          MESHPROOF_INSTANCE: instance,
          MESHPROOF_SERVICE: service,
          MESHPROOF_SEED: String(seed),
          MESHPROOF_APP_PORT: String(POD_PORTS.app),
          ...(ingress ? { MESHPROOF_OUTBOUND_HOST: '0.0.0.0' } : {}),
          ...(upstreams.length > 0 ? { MESHPROOF_UPSTREAMS: upstreams.join(',') } : {}),
          ...(settings.accessLog ? { MESHPROOF_ACCESS_LOG: '1' } : {}),
          ...tracingEnv,
        })
        .withCommand([...NODE, ENTRY.sidecar])
        .withWaitStrategy(new RunningWaitStrategy());
      return limit(() => c.start()).catch((err: Error) => {
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `sidecar container of ${instance} did not start: ${err.message}`, { cause: err });
      });
    };

    const startApp = async (pod: PodPlan, sidecar: StartedTestContainer): Promise<StartedTestContainer> => {
      const userImage = userImageOf(pod.spec);
      let c = new PodContainer(userImage ?? image.tag)
        .withName(`${prefix}-${pod.instance}-app`)
        .withLabels({ ...labels, [LABEL.role]: 'app', [LABEL.instance]: pod.instance, [LABEL.service]: pod.service })
        .withInit()
        .withCgroupParent(settings.cgroupParent ?? undefined)
        .withStartupTimeout(readyTimeoutMs)
        .withNetworkMode(`container:${sidecar.getId()}`)
        .withEnvironment(userImage ? imageEnvironment(plan, pod) : builtinAppEnvironment(plan.runId, pod))
        .withWaitStrategy(new RunningWaitStrategy());
      if (!userImage) c = c.withCommand([...NODE, ENTRY.builtinApp]);
      return limit(() => c.start()).catch((err: Error) => {
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `app container of ${pod.instance} did not start${userImageHint(userImage)}: ${err.message}`, { cause: err });
      });
    };

    /** An app container's readiness: the built-in app's port, or a user's image's `ready` (tcp, http or a log line, within its timeout). */
    const appReady = async (app: StartedTestContainer | Docker.Container, pod: PodPlan, agent: number): Promise<void> => {
      const container = 'getId' in app ? docker.getContainer(app.getId()) : app;
      const userImage = userImageOf(pod.spec);
      const spec: ReadySpec | null = userImage ? pod.spec.ready : null;
      const timeoutMs = spec?.timeoutMs ?? readyTimeoutMs;
      const what = `the app container of ${pod.instance}`;
      try {
        if (spec?.probe.kind === 'log') await waitLogLine(container, new RegExp(spec.probe.pattern), { what, timeoutMs, signal: options.signal });
        else {
          const query = spec?.probe.kind === 'http' ? `?http=${encodeURIComponent(spec.probe.path)}` : '';
          await waitHttpReady(container, `http://127.0.0.1:${agent}/app/ready${query}`, { what, timeoutMs, signal: options.signal });
        }
      } catch (err) {
        if (userImage && err instanceof ContainerNotReady) {
          // As for a local command: which instance, its image, why, what to check, the end of its output.
          const message = `${pod.instance} (service ${pod.service}, image ${userImage}) did not start: ${err.why}\n  check: ${readyCheck(spec)}${err.tail}`;
          throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', message, { cause: err });
        }
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${what} did not start${userImageHint(userImage, spec)}: ${(err as Error).message}`, { cause: err });
      }
    };

    const startPod = async (pod: PodPlan): Promise<DockerRunningPod> => {
      // A user's image reaches each service it calls on a listener of its own (its <NAME>_URL).
      const upstreams = userImageOf(pod.spec) ? (plan.routes[pod.service] ?? []) : [];
      const sidecar = await startSidecar(pod.instance, pod.service, pod.sidecarSeed, false, upstreams);
      const admin = sidecar.getMappedPort(POD_PORTS.admin);
      const agent = sidecar.getMappedPort(POD_PORTS.agent);
      const app = await startApp(pod, sidecar);
      await ready(sidecar, `http://127.0.0.1:${agent}/healthz/ready`, `the sidecar container of ${pod.instance}`);
      await appReady(app, pod, agent);
      const running_: DockerRunningPod = {
        instance: pod.instance,
        service: pod.service,
        adminUrl: `http://127.0.0.1:${admin}`,
        // What other pods dial: the pod's address on the run's network (the control plane pushes
        // it). An address, not the pod's name: a new connection to a name costs a lookup in
        // Docker's embedded DNS, 100ms and more when the engine is busy (longer than a per-try
        // timeout), and a mesh under load opens connections all the time. The address is the
        // sidecar container's, which lives as long as the pod (a restarted app joins it again).
        inbound: { host: sidecar.getIpAddress(networkName), port: POD_PORTS.inbound },
        // What the app dials, inside the pod.
        outbound: { host: '127.0.0.1', port: POD_PORTS.outbound },
        appPort: POD_PORTS.app,
        containers: { sidecar: sidecar.getId(), app: app.getId() },
        published: { admin, agent, outbound: null },
        ...(userImageOf(pod.spec) ? { logFile: logsDir ? join(logsDir, `${pod.instance}.log`) : null } : {}),
      };
      running.set(pod.instance, running_);
      options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: POD_PORTS.inbound, outbound: POD_PORTS.outbound, admin, app: POD_PORTS.app } });
      return running_;
    };

    const startIngress = async (): Promise<DockerRunningPod> => {
      const sidecar = await startSidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed, true);
      const outbound = sidecar.getMappedPort(POD_PORTS.outbound);
      const admin = sidecar.getMappedPort(POD_PORTS.admin);
      await ready(sidecar, `http://127.0.0.1:${sidecar.getMappedPort(POD_PORTS.agent)}/healthz/ready`, 'the ingress container');
      return {
        instance: plan.ingress.instance,
        service: plan.ingress.service,
        adminUrl: `http://127.0.0.1:${admin}`,
        inbound: { host: sidecar.getIpAddress(networkName), port: POD_PORTS.inbound },
        // The load generator runs on the host: the ingress's outbound as published there.
        outbound: { host: '127.0.0.1', port: outbound },
        appPort: null,
        containers: { sidecar: sidecar.getId(), app: null },
        published: { admin, agent: sidecar.getMappedPort(POD_PORTS.agent), outbound },
      };
    };

    const startFaultEngine = async (): Promise<{ url: string; seed: number } | null> => {
      if (!plan.wire) return null;
      const c = withCredential(container('fault-engine', FAULT_ENGINE_HOST, 'fault-engine'))
        .withRunNetwork(networkName, FAULT_ENGINE_HOST)
        .withLoopbackPorts(FAULT_ENGINE_API_PORT)
        .withEnvironment({ MESHPROOF_RUN_ID: plan.runId, MESHPROOF_SEED: String(plan.wireSeed), PORT: String(FAULT_ENGINE_API_PORT) })
        .withCommand([...NODE, ENTRY.faultEngine])
        .withWaitStrategy(new RunningWaitStrategy());
      const started = await limit(() => c.start()).catch((err: Error) => {
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the fault engine's container did not start: ${err.message}`, { cause: err });
      });
      await ready(started, `http://127.0.0.1:${started.getMappedPort(FAULT_ENGINE_API_PORT)}/version`, "the fault engine's container");
      return { url: `http://127.0.0.1:${started.getMappedPort(FAULT_ENGINE_API_PORT)}`, seed: plan.wireSeed };
    };

    // allSettled, not all: on a failure every start still under way must finish before the
    // teardown, or a late container would outlive the run (the teardown also goes by label).
    const startRelay = async (): Promise<void> => {
      if (!options.tracing) return;
      const c = withCredential(container('span-relay', SPAN_RELAY_HOST, 'span-relay'))
        .withRunNetwork(networkName, SPAN_RELAY_HOST)
        .withLoopbackPorts(SPAN_RELAY_PORT)
        .withEnvironment({ MESHPROOF_RUN_ID: plan.runId, PORT: String(SPAN_RELAY_PORT) })
        .withCommand([...NODE, ENTRY.spanRelay])
        .withWaitStrategy(new RunningWaitStrategy());
      const started = await limit(() => c.start()).catch((err: Error) => {
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the span relay's container did not start: ${err.message}`, { cause: err });
      });
      const url = `http://127.0.0.1:${started.getMappedPort(SPAN_RELAY_PORT)}`;
      await ready(started, `${url}/ready`, "the span relay's container");
      spanRelay = drainSpanRelay(docker, plan.runId, url, options.tracing.endpoint, credential);
    };

    const settled = await Promise.allSettled([startFaultEngine(), startIngress(), ...plan.pods.map((p) => startPod(p)), startRelay()]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (options.signal?.aborted) throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', 'start-up was interrupted');
    const faultEngine = (settled[0] as PromiseFulfilledResult<{ url: string; seed: number } | null>).value;
    const ingress = (settled[1] as PromiseFulfilledResult<DockerRunningPod>).value;
    const pods = settled.slice(2, 2 + plan.pods.length).map((s) => (s as PromiseFulfilledResult<DockerRunningPod>).value);

    const appOf = (instance: string) => {
      const pod = running.get(instance);
      if (!pod?.containers.app) throw new Error(`no app container for instance ${instance}`);
      return { pod, app: docker.getContainer(pod.containers.app) };
    };
    const processes: ProcessControl = {
      async kill(instance) {
        const { pod, app } = appOf(instance);
        const state = (await app.inspect()).State;
        if (!state.Running) return `app container of ${instance} was not running`;
        expectedExits.add(pod.containers.app!);
        // A paused container cannot take a signal until it is thawed; thawed, SIGKILL lands first.
        if (state.Paused) await app.unpause();
        await app.kill({ signal: 'SIGKILL' });
        await app.wait();
        return `SIGKILL sent to the app container of ${instance} (docker kill ${pod.containers.app!.slice(0, 12)}); its sidecar stays, as when a pod's app container crashes`;
      },
      async pause(instance) {
        const { pod, app } = appOf(instance);
        await app.pause();
        return `app container of ${instance} paused (docker pause ${pod.containers.app!.slice(0, 12)}, cgroup freezer): it keeps its port and answers nothing`;
      },
      async resume(instance) {
        const { pod, app } = appOf(instance);
        await app.unpause();
        return `app container of ${instance} unpaused (docker unpause ${pod.containers.app!.slice(0, 12)})`;
      },
      async start(instance) {
        const { pod, app } = appOf(instance);
        const state = (await app.inspect()).State;
        if (state.Running) throw new Error(`the app container of ${instance} is still running`);
        // The same container again (docker start): same image, environment and pod namespace.
        await app.start();
        await appReady(app, plan.pods.find((p) => p.instance === instance)!, pod.published.agent);
        pod.appPort = POD_PORTS.app;
        return POD_PORTS.app;
      },
    };

    return {
      pods,
      ingress,
      processes,
      credential,
      faultEngine,
      stop,
      onUnexpectedExit: (l) => void exitListeners.push(l),
      [Symbol.asyncDispose]: async () => void (await stop()),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
The environment of a user's image: the contract of the local runtime's `command:` (app-contract.ts,
docs/own-services.md), with the pod's fixed ports — PORT 8080, MESHPROOF_SIDECAR 127.0.0.1:15001,
each called service's `<NAME>_URL` on 127.0.0.1:15101 and up, HTTP_PROXY — and the scenario's `env`
on top; plus MESHPROOF_SEED and MESHPROOF_SERVICE_SPEC, as the built-in app gets them.
*/
export function imageEnvironment(plan: Plan, pod: PodPlan): Record<string, string> {
  const upstreams = Object.fromEntries(Object.entries(upstreamPorts(plan.routes[pod.service] ?? [])).map(([service, port]) => [service, { host: '127.0.0.1', port }]));
  return {
    ...appEnvironment(
      { runId: plan.runId, instance: pod.instance, service: pod.service, port: POD_PORTS.app, sidecar: { host: '127.0.0.1', port: POD_PORTS.outbound }, upstreams },
      pod.spec.env ?? {},
    ),
    MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
    MESHPROOF_SEED: String(pod.appSeed),
  };
}

/**
The environment of the built-in app's container: PORT, and its sidecar at MESHPROOF_SIDECAR, where it
names the destination service in the Host header.
*/
export function builtinAppEnvironment(runId: string, pod: PodPlan): Record<string, string> {
  return {
    MESHPROOF_RUN_ID: runId,
    PORT: String(POD_PORTS.app),
    MESHPROOF_SIDECAR: `127.0.0.1:${POD_PORTS.outbound}`,
    MESHPROOF_INSTANCE: pod.instance,
    MESHPROOF_SERVICE: pod.service,
    MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
    MESHPROOF_SEED: String(pod.appSeed),
  };
}

/** What to check when a user's image does not get ready, by its readiness kind. */
function readyCheck(ready: ReadySpec | null): string {
  const p = ready?.probe;
  const check = p?.kind === 'http' ? `does GET ${p.path} on $PORT (${POD_PORTS.app}) answer 2xx?` : p?.kind === 'log' ? `does it print a line matching /${p.pattern}/?` : `does it listen on $PORT (${POD_PORTS.app})?`;
  return `is it present locally, and ${check}`;
}

function userImageHint(userImage: string | null, ready: ReadySpec | null = null): string {
  return userImage ? ` (image ${userImage}: ${readyCheck(ready)})` : '';
}

/**
A command runs on the local runtime only; on Docker a service needs an image (it may have both: each
runtime runs its own). Checked before anything starts, by the CLI (`where` = the scenario file) and
by DockerRuntime.start.
*/
export function refuseCommands(services: readonly ServiceSpec[], where = ''): void {
  const commanded = services.find((s) => (s.command ?? null) !== null && (s.image ?? null) === null);
  if (commanded) {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `${where}service ${commanded.name} runs a command, and commands run only on the local runtime: give it an image for the Docker runtime (it may keep its command for the local one), or run with --runtime local`,
    );
  }
}

/** The user's image for a service, when its spec names one. */
export function userImageOf(spec: ServiceSpec): string | null {
  return spec.image ?? null;
}

interface ExitEvent {
  id: string;
  instance: string;
  role: ContainerRole;
  code: number | null;
  signal: string | null;
}

/** Follows the run's container exits (Docker's `die` events). Exit codes above 128 are reported as the signal, as the local runtime does. */
async function watchExits(docker: Docker, runId: string, onExit: (e: ExitEvent) => void): Promise<NodeJS.ReadableStream> {
  const stream = await docker.getEvents({ filters: { type: ['container'], event: ['die'], label: [`${LABEL.run}=${runId}`] } });
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      try {
        const e = JSON.parse(line) as { id: string; Actor?: { Attributes?: Record<string, string> } };
        const attrs = e.Actor?.Attributes ?? {};
        const exitCode = Number(attrs.exitCode);
        const signal = exitCode > 128 ? signalName(exitCode - 128) : null;
        onExit({ id: e.id, instance: attrs[LABEL.instance] ?? '?', role: (attrs[LABEL.role] ?? 'app') as ContainerRole, code: signal ? null : exitCode, signal });
      } catch {
        /* not an event line */
      }
    }
  });
  stream.on('error', () => {});
  return stream;
}

function signalName(n: number): string | null {
  for (const [name, num] of Object.entries(constants.signals)) if (num === n) return name;
  return null;
}

/** At most `n` of the functions it is given run at once. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

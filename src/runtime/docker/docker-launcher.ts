import { join } from 'node:path';
import type Docker from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { CREDENTIAL_FILE_ENV } from '../../auth/credential-handoff.ts';
import { MeshproofError } from '../../errors.ts';
import type { RunningExternal } from '../../contract/running-pod.ts';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import type { ReadySpec } from '../../scenario/scenario.ts';
import { codeLayout } from '../../util/code-layout.ts';
import type { RuntimeStartOptions } from '../runtime.ts';
import { builtinAppEnvironment, imageEnvironment } from './app-environment.ts';
import type { DockerRunningPod } from './docker-topology.ts';
import { LABEL, type ContainerRole } from './labels.ts';
import { FAULT_ENGINE_API_PORT, FAULT_ENGINE_HOST, POD_PORTS, RATE_LIMIT_HOST, RATE_LIMIT_PORT, SPAN_RELAY_HOST, SPAN_RELAY_PORT } from './pod-ports.ts';
import { RATE_LIMIT_SERVICE_INSTANCE, type RunningRateLimitService } from '../../contract/rate-limit-service.ts';
import { CREDENTIAL_PATH, credentialArchive } from './credential-archive.ts';
import { ContainerNotReady, PodContainer, RunningWaitStrategy, waitHttpReady, waitLogLine } from './pod-container.ts';
import type { RunContainers } from './run-containers.ts';
import type { RuntimeImage } from './runtime-image.ts';
import { drainSpanRelay } from './span-relay-drain.ts';
import { readyCheck, userImageHint, userImageOf } from './user-image.ts';

/** Entries inside the runtime image, relative to its working directory (meshproof's root there). */
const ENTRY = {
  sidecar: codeLayout.relative('runtime/docker/entry/sidecar.ts'),
  faultEngine: codeLayout.relative('runtime/docker/entry/fault-engine.ts'),
  // The built-in app runs its own entry unchanged: it takes PORT and MESHPROOF_SIDECAR from the
  // environment, binds the pod's 127.0.0.1 and prints its ready line — the contract of `image:`.
  builtinApp: codeLayout.relative('sim/builtin/main.ts'),
  spanRelay: codeLayout.relative('runtime/docker/entry/span-relay.ts'),
  // The rate-limit service's process entry reads its bind address and Host names from the environment.
  rateLimit: codeLayout.relative('sim/ratelimit/main.ts'),
  podHolder: codeLayout.relative('runtime/docker/entry/pod-holder.ts'),
} as const;

/** The rate-limit service's container, and where the topology says it is (updated in place by a restart). */
export interface DockerRateLimitService {
  container: string;
  running: RunningRateLimitService;
}

/** How containers are started (DockerRuntimeOptions' defaults apply). */
export interface LaunchSettings {
  readyTimeoutMs?: number;
  concurrency?: number;
  accessLog?: boolean;
  cgroupParent?: string | null;
}

/** `node` flags of every meshproof container. */
const NODE = ['node', '--disable-warning=ExperimentalWarning'];

/** The user meshproof's containers run as (USER in docker/runtime-base*.Dockerfile): the owner of the credential file. */
const CONTAINER_USER = { uid: 65534, gid: 65534 };

/**
Starts the containers of one plan on the run's network. Containers are started without waiting
(RunningWaitStrategy) and their readiness is polled afterwards: the app container can join its pod
as soon as the sidecar's container runs, and every pod's Node processes boot at once instead of one
container's start-up after another. Only the containers' creation is limited: it is what Docker
serialises; the waits are not.
*/
export class DockerLauncher {
  private readonly docker: Docker;
  private readonly image: RuntimeImage;
  private readonly plan: Plan;
  private readonly containers: RunContainers;
  private readonly options: RuntimeStartOptions;
  private readonly settings: LaunchSettings;
  private readonly readyTimeoutMs: number;
  private readonly prefix: string;
  private readonly tracingEnv: Record<string, string>;
  private readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The run's credential: copied into the sidecar, fault engine and span relay containers, never into an app's. */
  private readonly credential: string;

  constructor(docker: Docker, image: RuntimeImage, plan: Plan, containers: RunContainers, credential: string, options: RuntimeStartOptions, settings: LaunchSettings) {
    this.docker = docker;
    this.image = image;
    this.plan = plan;
    this.containers = containers;
    this.credential = credential;
    this.options = options;
    this.settings = settings;
    this.readyTimeoutMs = settings.readyTimeoutMs ?? 60_000;
    this.prefix = `meshproof-${plan.runId}`;
    // Sidecars export spans to the run's span relay container; the harness drains it into its receiver.
    this.tracingEnv = options.tracing
      ? {
          MESHPROOF_OTLP_ENDPOINT: `http://${SPAN_RELAY_HOST}:${SPAN_RELAY_PORT}/v1/traces`,
          MESHPROOF_TRACE_SAMPLE: String(options.tracing.sampleRatio),
          MESHPROOF_TRACE_MAX_PER_SECOND: String(options.tracing.maxTracesPerSecond),
        }
      : {};
    this.limit = limiter(settings.concurrency ?? 8);
  }

  /** A pod: its sidecar's container, then its app's joining the sidecar's network namespace; resolves once both are ready. */
  async pod(pod: PodPlan): Promise<DockerRunningPod> {
    // A user's image reaches each service it calls on a listener of its own (its <NAME>_URL).
    const upstreams = userImageOf(pod.spec) ? (this.plan.routes[pod.service] ?? []) : [];
    const sidecar = await this.sidecar(pod.instance, pod.service, pod.sidecarSeed, false, upstreams);
    const admin = sidecar.getMappedPort(POD_PORTS.admin);
    const agent = sidecar.getMappedPort(POD_PORTS.agent);
    const app = await this.app(pod, sidecar);
    await this.ready(sidecar, `http://127.0.0.1:${agent}/healthz/ready`, `the sidecar container of ${pod.instance}`);
    await this.appReady(app, pod, agent);
    const logsDir = this.options.logsDir ?? null;
    const running: DockerRunningPod = {
      instance: pod.instance,
      service: pod.service,
      adminUrl: `http://127.0.0.1:${admin}`,
      // What other pods dial: the pod's address on the run's network (the control plane pushes
      // it). An address, not the pod's name: a new connection to a name costs a lookup in
      // Docker's embedded DNS, 100ms and more when the engine is busy (longer than a per-try
      // timeout), and a mesh under load opens connections all the time. The address is the
      // sidecar container's, which lives as long as the pod (a restarted app joins it again).
      inbound: { host: sidecar.getIpAddress(this.containers.network), port: POD_PORTS.inbound },
      // What the app dials, inside the pod.
      outbound: { host: '127.0.0.1', port: POD_PORTS.outbound },
      appPort: POD_PORTS.app,
      containers: { sidecar: sidecar.getId(), app: app.getId() },
      published: { admin, agent, outbound: null },
      ...(userImageOf(pod.spec) ? { logFile: logsDir ? join(logsDir, `${pod.instance}.log`) : null } : {}),
    };
    this.options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: POD_PORTS.inbound, outbound: POD_PORTS.outbound, admin, app: POD_PORTS.app } });
    return running;
  }

  /**
  The ingress: a sidecar alone, its outbound published for the load generator on the host, and its
  listener for the load target (POD_PORTS.upstreams), where the load reaches its target whatever
  Host it sends.
  */
  async ingress(): Promise<DockerRunningPod> {
    const plan = this.plan;
    const sidecar = await this.sidecar(plan.ingress.instance, plan.ingress.service, plan.ingress.sidecarSeed, true, [plan.load.target]);
    const outbound = sidecar.getMappedPort(POD_PORTS.outbound);
    const admin = sidecar.getMappedPort(POD_PORTS.admin);
    await this.ready(sidecar, `http://127.0.0.1:${sidecar.getMappedPort(POD_PORTS.agent)}/healthz/ready`, 'the ingress container');
    return {
      instance: plan.ingress.instance,
      service: plan.ingress.service,
      adminUrl: `http://127.0.0.1:${admin}`,
      inbound: { host: sidecar.getIpAddress(this.containers.network), port: POD_PORTS.inbound },
      // The load generator runs on the host: the ingress's outbound as published there.
      outbound: { host: '127.0.0.1', port: outbound },
      appPort: null,
      upstreams: { [plan.load.target]: { host: '127.0.0.1', port: sidecar.getMappedPort(POD_PORTS.upstreams) } },
      containers: { sidecar: sidecar.getId(), app: null },
      published: { admin, agent: sidecar.getMappedPort(POD_PORTS.agent), outbound },
    };
  }

  // The edges: a gateway's proxy and an external's app each in a container of their own, joined to
  // a pod holder's namespace (pod-holder.ts), so a kill and a start keep the pod's address and ports.

  /** A gateway replica: the sidecar's entry in its gateway role, in its own container in the pod. */
  async gateway(pod: PodPlan): Promise<DockerRunningPod> {
    const holder = await this.holder(pod, [POD_PORTS.admin, POD_PORTS.agent]);
    const admin = holder.getMappedPort(POD_PORTS.admin);
    const agent = holder.getMappedPort(POD_PORTS.agent);
    const c = this.withCredential(this.container('app', pod.instance, pod.service))
      .withNetworkMode(`container:${holder.getId()}`)
      .withEnvironment({
        MESHPROOF_RUN_ID: this.plan.runId,
        MESHPROOF_INSTANCE: pod.instance,
        MESHPROOF_SERVICE: pod.service,
        MESHPROOF_SEED: String(pod.sidecarSeed),
        MESHPROOF_ROLE: 'gateway',
        ...(this.settings.accessLog ? { MESHPROOF_ACCESS_LOG: '1' } : {}),
        ...this.tracingEnv,
      })
      .withCommand([...NODE, ENTRY.sidecar])
      .withWaitStrategy(new RunningWaitStrategy());
    const gateway = await this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `gateway container of ${pod.instance} did not start: ${err.message}`, { cause: err });
    });
    await this.ready(gateway, `http://127.0.0.1:${agent}/healthz/ready`, `the gateway container of ${pod.instance}`);
    this.options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { inbound: POD_PORTS.inbound, admin } });
    return {
      instance: pod.instance,
      service: pod.service,
      adminUrl: `http://127.0.0.1:${admin}`,
      inbound: { host: holder.getIpAddress(this.containers.network), port: POD_PORTS.inbound },
      outbound: { host: '127.0.0.1', port: POD_PORTS.outbound },
      appPort: null,
      kind: 'gateway',
      containers: { sidecar: holder.getId(), app: gateway.getId() },
      published: { admin, agent, outbound: null },
    };
  }

  /** A gateway's proxy started again in its pod (docker start): ready once its agent answers. */
  async gatewayReady(container: Docker.Container, pod: DockerRunningPod): Promise<void> {
    await waitHttpReady(container, `http://127.0.0.1:${pod.published.agent}/healthz/ready`, { what: `the gateway container of ${pod.instance}`, timeoutMs: this.readyTimeoutMs, signal: this.options.signal });
  }

  /**
  An external's instance: the built-in app on the pod's network address, no sidecar. `pod` is kept
  with the pods for process faults (its app container), though it has no admin port to push to.
  */
  async external(pod: PodPlan): Promise<{ pod: DockerRunningPod; external: RunningExternal }> {
    const holder = await this.holder(pod, [POD_PORTS.agent], { MESHPROOF_AGENT_PORT: String(POD_PORTS.agent), MESHPROOF_APP_PORT: String(POD_PORTS.app) });
    const agent = holder.getMappedPort(POD_PORTS.agent);
    const c = this.container('app', pod.instance, pod.service)
      .withNetworkMode(`container:${holder.getId()}`)
      .withEnvironment({ ...builtinAppEnvironment(this.plan.runId, pod, 'off', false), MESHPROOF_BIND_HOST: '0.0.0.0' })
      .withCommand([...NODE, ENTRY.builtinApp])
      .withWaitStrategy(new RunningWaitStrategy());
    const app = await this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the container of external ${pod.instance} did not start: ${err.message}`, { cause: err });
    });
    await this.appReady(app, pod, agent);
    const address = { host: holder.getIpAddress(this.containers.network), port: POD_PORTS.app };
    this.options.onEvent?.({ type: 'instance-up', at: Date.now(), instance: pod.instance, service: pod.service, ports: { app: POD_PORTS.app } });
    return {
      pod: {
        instance: pod.instance,
        service: pod.service,
        adminUrl: '',
        inbound: address,
        outbound: { host: '127.0.0.1', port: POD_PORTS.outbound },
        appPort: POD_PORTS.app,
        containers: { sidecar: holder.getId(), app: app.getId() },
        published: { admin: 0, agent, outbound: null },
      },
      external: { instance: pod.instance, service: pod.service, address },
    };
  }

  /** The container that owns a gateway's or an external's network namespace (as a Kubernetes pod's pause container). */
  private async holder(pod: PodPlan, ports: number[], env: Record<string, string> = {}): Promise<StartedTestContainer> {
    const c = this.container('sidecar', pod.instance, pod.service)
      .withRunNetwork(this.containers.network, pod.instance)
      .withLoopbackPorts(...ports)
      .withEnvironment({ MESHPROOF_RUN_ID: this.plan.runId, MESHPROOF_INSTANCE: pod.instance, MESHPROOF_SERVICE: pod.service, ...env })
      .withCommand([...NODE, ENTRY.podHolder])
      .withWaitStrategy(new RunningWaitStrategy());
    return this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the pod holder of ${pod.instance} did not start: ${err.message}`, { cause: err });
    });
  }

  /** meshproof's fault engine in its own container, when the plan has wire faults; null otherwise. */
  async faultEngine(): Promise<{ url: string; seed: number } | null> {
    const plan = this.plan;
    if (!plan.wire) return null;
    const c = this.withCredential(this.container('fault-engine', FAULT_ENGINE_HOST, 'fault-engine'))
      .withRunNetwork(this.containers.network, FAULT_ENGINE_HOST)
      .withLoopbackPorts(FAULT_ENGINE_API_PORT)
      .withEnvironment({ MESHPROOF_RUN_ID: plan.runId, MESHPROOF_SEED: String(plan.wireSeed), PORT: String(FAULT_ENGINE_API_PORT) })
      .withCommand([...NODE, ENTRY.faultEngine])
      .withWaitStrategy(new RunningWaitStrategy());
    const started = await this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the fault engine's container did not start: ${err.message}`, { cause: err });
    });
    await this.ready(started, `http://127.0.0.1:${started.getMappedPort(FAULT_ENGINE_API_PORT)}/version`, "the fault engine's container");
    return { url: `http://127.0.0.1:${started.getMappedPort(FAULT_ENGINE_API_PORT)}`, seed: plan.wireSeed };
  }

  /**
  The run's rate-limit service in its own container on the run's network, when the plan has quotas;
  null otherwise. Sidecars dial its address on the network, naming it `ratelimit:8080`; the harness
  reaches it on a port published on 127.0.0.1. Process faults act on this container.
  */
  async rateLimitService(): Promise<DockerRateLimitService | null> {
    if (!this.plan.rateLimit) return null;
    const c = this.withCredential(this.container('ratelimit', RATE_LIMIT_SERVICE_INSTANCE, RATE_LIMIT_SERVICE_INSTANCE))
      .withRunNetwork(this.containers.network, RATE_LIMIT_HOST)
      .withLoopbackPorts(RATE_LIMIT_PORT)
      .withEnvironment({
        MESHPROOF_RUN_ID: this.plan.runId,
        PORT: String(RATE_LIMIT_PORT),
        MESHPROOF_BIND_HOST: '0.0.0.0',
        MESHPROOF_ALSO_HOSTS: `${RATE_LIMIT_HOST}:${RATE_LIMIT_PORT}`,
        MESHPROOF_ANY_PORT: '1',
      })
      .withCommand([...NODE, ENTRY.rateLimit])
      .withWaitStrategy(new RunningWaitStrategy());
    const started = await this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the rate-limit service's container did not start: ${err.message}`, { cause: err });
    });
    const url = `http://127.0.0.1:${started.getMappedPort(RATE_LIMIT_PORT)}`;
    await this.ready(started, `${url}/healthcheck`, "the rate-limit service's container");
    return {
      container: started.getId(),
      running: { url, address: { host: started.getIpAddress(this.containers.network), port: RATE_LIMIT_PORT, authority: `${RATE_LIMIT_HOST}:${RATE_LIMIT_PORT}` } },
    };
  }

  /** The rate-limit service's container started again (docker start): ready once it answers on its published port, which Docker may have changed. */
  async rateLimitServiceAgain(rls: DockerRateLimitService): Promise<void> {
    const container = this.docker.getContainer(rls.container);
    await container.start();
    const info = await container.inspect();
    const published = Number(info.NetworkSettings.Ports[`${RATE_LIMIT_PORT}/tcp`]?.[0]?.HostPort);
    const ip = info.NetworkSettings.Networks[this.containers.network]?.IPAddress;
    const url = `http://127.0.0.1:${published}`;
    await waitHttpReady(container, `${url}/healthcheck`, { what: "the rate-limit service's container", timeoutMs: this.readyTimeoutMs, signal: this.options.signal });
    Object.assign(rls.running, { url, address: { ...rls.running.address, host: ip || rls.running.address.host } });
  }

  /** The span relay the sidecars export to, when the run traces; the harness drains it into its receiver. */
  async spanRelay(): Promise<void> {
    const tracing = this.options.tracing;
    if (!tracing) return;
    const c = this.withCredential(this.container('span-relay', SPAN_RELAY_HOST, 'span-relay'))
      .withRunNetwork(this.containers.network, SPAN_RELAY_HOST)
      .withLoopbackPorts(SPAN_RELAY_PORT)
      .withEnvironment({ MESHPROOF_RUN_ID: this.plan.runId, PORT: String(SPAN_RELAY_PORT) })
      .withCommand([...NODE, ENTRY.spanRelay])
      .withWaitStrategy(new RunningWaitStrategy());
    const started = await this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the span relay's container did not start: ${err.message}`, { cause: err });
    });
    const url = `http://127.0.0.1:${started.getMappedPort(SPAN_RELAY_PORT)}`;
    await this.ready(started, `${url}/ready`, "the span relay's container");
    this.containers.drainSpans(drainSpanRelay(this.docker, this.plan.runId, url, tracing.endpoint, this.credential));
  }

  /** An app container's readiness: the built-in app's port, or a user's image's `ready` (tcp, http or a log line, within its timeout). */
  async appReady(app: StartedTestContainer | Docker.Container, pod: PodPlan, agent: number): Promise<void> {
    const container = 'getId' in app ? this.docker.getContainer(app.getId()) : app;
    const userImage = userImageOf(pod.spec);
    const spec: ReadySpec | null = userImage ? pod.spec.ready : null;
    const timeoutMs = spec?.timeoutMs ?? this.readyTimeoutMs;
    const what = `the app container of ${pod.instance}`;
    const signal = this.options.signal;
    try {
      if (spec?.probe.kind === 'log') await waitLogLine(container, new RegExp(spec.probe.pattern), { what, timeoutMs, signal });
      else {
        const query = spec?.probe.kind === 'http' ? `?http=${encodeURIComponent(spec.probe.path)}` : '';
        await waitHttpReady(container, `http://127.0.0.1:${agent}/app/ready${query}`, { what, timeoutMs, signal });
      }
    } catch (err) {
      if (userImage && err instanceof ContainerNotReady) {
        // As for a local command: which instance, its image, why, what to check, the end of its output.
        const message = `${pod.instance} (service ${pod.service}, image ${userImage}) did not start: ${err.why}\n  check: ${readyCheck(spec)}${err.tail}`;
        throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', message, { cause: err });
      }
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${what} did not start${userImageHint(userImage, spec)}: ${(err as Error).message}`, { cause: err });
    }
  }

  private container(role: ContainerRole, instance: string, service: string): PodContainer {
    return new PodContainer(this.image.tag)
      .withName(role === 'app' ? `${this.prefix}-${instance}-app` : `${this.prefix}-${instance}`)
      .withLabels({ ...this.containers.labels, [LABEL.role]: role, [LABEL.instance]: instance, [LABEL.service]: service })
      .withInit()
      .withCgroupParent(this.settings.cgroupParent ?? undefined)
      .withStartupTimeout(this.readyTimeoutMs);
  }

  /** The run's credential as a file only this container reads (0400, its user's), named in an environment variable: never the credential itself there, docker inspect shows those. */
  private withCredential(c: PodContainer): PodContainer {
    return c.withCopyArchivesToContainer([{ tar: credentialArchive(this.credential, CONTAINER_USER), target: '/' }]).withEnvironment({ [CREDENTIAL_FILE_ENV]: CREDENTIAL_PATH });
  }

  /** Waits for a started container's readiness route; a failure is the run's start-up failure. */
  private async ready(started: StartedTestContainer, url: string, what: string, hint = ''): Promise<void> {
    try {
      await waitHttpReady(this.docker.getContainer(started.getId()), url, { what, timeoutMs: this.readyTimeoutMs, signal: this.options.signal });
    } catch (err) {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${what} did not start${hint}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async sidecar(instance: string, service: string, seed: number, ingress: boolean, upstreams: readonly string[] = []): Promise<StartedTestContainer> {
    const c = this.withCredential(this.container('sidecar', instance, service))
      .withRunNetwork(this.containers.network, instance)
      .withLoopbackPorts(POD_PORTS.admin, POD_PORTS.agent, ...(ingress ? [POD_PORTS.outbound, POD_PORTS.upstreams] : []))
      .withEnvironment({
        MESHPROOF_RUN_ID: this.plan.runId,
        MESHPROOF_INSTANCE: instance,
        MESHPROOF_SERVICE: service,
        MESHPROOF_SEED: String(seed),
        MESHPROOF_APP_PORT: String(POD_PORTS.app),
        ...(ingress ? { MESHPROOF_OUTBOUND_HOST: '0.0.0.0' } : {}),
        ...(upstreams.length > 0 ? { MESHPROOF_UPSTREAMS: upstreams.join(',') } : {}),
        ...(this.settings.accessLog ? { MESHPROOF_ACCESS_LOG: '1' } : {}),
        ...this.tracingEnv,
      })
      .withCommand([...NODE, ENTRY.sidecar])
      .withWaitStrategy(new RunningWaitStrategy());
    return this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `sidecar container of ${instance} did not start: ${err.message}`, { cause: err });
    });
  }

  private async app(pod: PodPlan, sidecar: StartedTestContainer): Promise<StartedTestContainer> {
    const userImage = userImageOf(pod.spec);
    let c = new PodContainer(userImage ?? this.image.tag)
      .withName(`${this.prefix}-${pod.instance}-app`)
      .withLabels({ ...this.containers.labels, [LABEL.role]: 'app', [LABEL.instance]: pod.instance, [LABEL.service]: pod.service })
      .withInit()
      .withCgroupParent(this.settings.cgroupParent ?? undefined)
      .withStartupTimeout(this.readyTimeoutMs)
      .withNetworkMode(`container:${sidecar.getId()}`)
      .withEnvironment(userImage ? imageEnvironment(this.plan, pod) : builtinAppEnvironment(this.plan.runId, pod, this.plan.scenario.mesh[pod.service]?.deadlines))
      .withWaitStrategy(new RunningWaitStrategy());
    if (!userImage) c = c.withCommand([...NODE, ENTRY.builtinApp]);
    return this.limit(() => c.start()).catch((err: Error) => {
      throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `app container of ${pod.instance} did not start${userImageHint(userImage)}: ${err.message}`, { cause: err });
    });
  }
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

import type Docker from 'dockerode';
import { newRunCredential } from '../../auth/run-credential.ts';
import { MeshproofError } from '../../errors.ts';
import type { RunningExternal } from '../../contract/running-pod.ts';
import { podKind, type Plan, type PodPlan } from '../../plan/plan-scenario.ts';
import type { ServiceSpec } from '../../scenario/scenario.ts';
import type { Runtime, RuntimeStartOptions, StartedTopology } from '../runtime.ts';
import { checkEngine, dockerClient, podCgroupParent } from './docker-engine.ts';
import { DockerLauncher, type DockerRateLimitService } from './docker-launcher.ts';
import { DockerProcessControl } from './docker-process-control.ts';
import { DockerTopology, type DockerRunningPod } from './docker-topology.ts';
import { reapLeftovers } from './reaper.ts';
import { RunContainers } from './run-containers.ts';
import { ensureRuntimeImage, type RuntimeImage, type RuntimeImageOptions } from './runtime-image.ts';
import { userImageOf } from './user-image.ts';

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

/**
The run's network and containers: the fault engine, the ingress, every pod and the span relay are
started at once — allSettled, not all: on a failure every start still under way must finish before
the teardown, or a late container would outlive the run (the teardown also goes by label).
*/
async function startTopology(docker: Docker, image: RuntimeImage, plan: Plan, options: RuntimeStartOptions, settings: DockerRuntimeOptions): Promise<StartedTopology> {
  const logsDir = options.logsDir ?? null;
  const containers = new RunContainers(docker, plan, { logsDir, imaged: new Set(plan.pods.filter((p) => userImageOf(p.spec)).map((p) => p.instance)) });
  try {
    await containers.open();
    const credential = options.credential ?? newRunCredential();
    const launcher = new DockerLauncher(docker, image, plan, containers, credential, options, settings);
    const externals: RunningExternal[] = [];
    const start = async (p: PodPlan): Promise<DockerRunningPod> => {
      const kind = podKind(p);
      if (kind === 'gateway') return launcher.gateway(p);
      if (kind !== 'external') return launcher.pod(p);
      const started = await launcher.external(p);
      externals.push(started.external);
      return started.pod;
    };
    const settled = await Promise.allSettled([launcher.faultEngine(), launcher.ingress(), ...plan.pods.map(start), launcher.spanRelay(), launcher.rateLimitService()]);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (options.signal?.aborted) throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', 'start-up was interrupted');
    const faultEngine = (settled[0] as PromiseFulfilledResult<{ url: string; seed: number } | null>).value;
    const ingress = (settled[1] as PromiseFulfilledResult<DockerRunningPod>).value;
    const all = settled.slice(2, 2 + plan.pods.length).map((s) => (s as PromiseFulfilledResult<DockerRunningPod>).value);
    const rateLimit = (settled[3 + plan.pods.length] as PromiseFulfilledResult<DockerRateLimitService | null>).value;
    // An external's pod is kept for process faults (its app container), though it has no proxy to push to.
    const byInstance = new Map(all.map((p) => [p.instance, p]));
    const pods = all.filter((p, i) => podKind(plan.pods[i]!) !== 'external');
    const processes = new DockerProcessControl(docker, plan, byInstance, launcher, containers, rateLimit);
    return new DockerTopology({ pods, externals, ingress, processes, faultEngine, credential, owner: containers, rateLimitService: rateLimit?.running ?? null });
  } catch (err) {
    await containers.stop();
    throw err;
  }
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

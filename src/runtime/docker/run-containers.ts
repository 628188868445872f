import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Plan } from '../../plan/plan-scenario.ts';
import { LABEL, runLabels, currentHarness, type ContainerRole } from './labels.ts';
import { containerOutput } from './pod-container.ts';
import { removeContainer, removeNetwork } from './reaper.ts';
import type { SpanRelayDrain } from './span-relay-drain.ts';

export type ExitListener = (instance: string, role: Exclude<ContainerRole, 'span-relay'>, code: number | null, signal: string | null) => void;

/**
What one Docker run owns: its network, every container labelled with it, and the span relay's drain.
Follows the containers' exits (reported unless the run stops them or a process fault meant them),
and removes everything by label when stopped — or, should the harness exit without stopping, through
the docker CLI on the way out.
*/
export class RunContainers implements AsyncDisposable {
  readonly network: string;
  readonly labels: Record<string, string>;
  private readonly docker: Docker;
  private readonly runId: string;
  private readonly logsDir: string | null;
  /** Instances whose app is a user's image: its output goes to the report's logs. */
  private readonly imaged: Set<string>;
  private readonly listeners: ExitListener[] = [];
  /** Containers killed or stopped on purpose (a process fault): their exit is not news. */
  private readonly expected = new Set<string>();
  private events: NodeJS.ReadableStream | null = null;
  private spanRelay: SpanRelayDrain | null = null;
  private stopping = false;
  private stopped: Promise<number> | null = null;
  private readonly removeOnExit = () => this.removeNow();

  constructor(docker: Docker, plan: Plan, options: { logsDir: string | null; imaged: Set<string> }) {
    this.docker = docker;
    this.runId = plan.runId;
    this.network = `meshproof-${plan.runId}`;
    this.labels = runLabels(plan.runId, plan.scenario.name, currentHarness());
    this.logsDir = options.logsDir;
    this.imaged = options.imaged;
    process.on('exit', this.removeOnExit);
  }

  /** Creates the run's network and starts following its containers' exits. */
  async open(): Promise<void> {
    await this.docker.createNetwork({ Name: this.network, Driver: 'bridge', CheckDuplicate: true, Labels: { ...this.labels, [LABEL.role]: 'network' } });
    this.events = await watchExits(this.docker, this.runId, (e) => {
      // The span relay is telemetry: its end is not the run's business.
      const role = e.role;
      if (this.expected.delete(e.id) || this.stopping || role === 'span-relay') return;
      for (const l of this.listeners) l(e.instance, role, e.code, e.signal);
    });
  }

  /** The container's next exit is on purpose (a process fault): it is not reported. */
  expectExit(containerId: string): void {
    this.expected.add(containerId);
  }

  onUnexpectedExit(listener: ExitListener): void {
    this.listeners.push(listener);
  }

  /** The span relay's drain, finished before the containers go. */
  drainSpans(drain: SpanRelayDrain): void {
    this.spanRelay = drain;
  }

  /** Removes every container and network of the run (once); resolves with how many containers were running. */
  stop(): Promise<number> {
    return (this.stopped ??= this.removeAll());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async removeAll(): Promise<number> {
    this.stopping = true;
    process.off('exit', this.removeOnExit);
    (this.events as unknown as { destroy?: () => void } | null)?.destroy?.();
    await this.spanRelay?.finish().catch(() => {});
    const filters = { label: [`${LABEL.run}=${this.runId}`] };
    const mine = await this.docker.listContainers({ all: true, filters }).catch(() => []);
    // A user's image's output (every start of its container, restarts included) goes to the report before the container does.
    if (this.logsDir) await this.saveImageLogs(mine).catch(() => {});
    const live = mine.filter((c) => c.State === 'running' || c.State === 'paused').length;
    await Promise.all(mine.map((c) => removeContainer(this.docker, c.Id).catch(() => false)));
    const nets = await this.docker.listNetworks({ filters }).catch(() => []);
    await Promise.all(nets.map((n) => removeNetwork(this.docker, n.Id).catch(() => false)));
    return live;
  }

  private async saveImageLogs(containers: Docker.ContainerInfo[]): Promise<void> {
    const logsDir = this.logsDir;
    const apps = containers.filter((c) => c.Labels[LABEL.role] === 'app' && this.imaged.has(c.Labels[LABEL.instance]));
    if (apps.length === 0 || !logsDir) return;
    await mkdir(logsDir, { recursive: true });
    await Promise.all(apps.map(async (c) => writeFile(join(logsDir, `${c.Labels[LABEL.instance]}.log`), await containerOutput(this.docker.getContainer(c.Id)))));
  }

  // Last resort when the harness exits without stopping (process.exit on an error path): the
  // removal has to be synchronous there, so it goes through the docker CLI when there is one.
  private removeNow(): void {
    if (this.stopped) return;
    spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=${LABEL.run}=${this.runId}) >/dev/null 2>&1; docker network rm ${this.network} >/dev/null 2>&1`], { stdio: 'ignore', timeout: 15_000 });
  }
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

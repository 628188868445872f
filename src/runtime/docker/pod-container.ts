import type Dockerode from 'dockerode';
import { GenericContainer, type WaitStrategy } from 'testcontainers';
import { FAILURE_TAIL_LINES, OutputTail } from '../output-tail.ts';

/**
A container of a meshproof run. Adds to testcontainers' GenericContainer what it does not offer:
ports published on the host's 127.0.0.1 only (never on every interface), a user-defined network
joined with an alias and nothing else (testcontainers' own aliases would also attach the default
bridge), and an init process as PID 1 (signals and zombies handled for images that do not).
*/
export class PodContainer extends GenericContainer {
  /** Publishes container ports on 127.0.0.1, each on a port Docker picks. */
  withLoopbackPorts(...ports: number[]): this {
    this.withExposedPorts(...ports);
    this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings };
    for (const p of ports) this.hostConfig.PortBindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '0' }];
    return this;
  }

  /** Joins a user-defined network, reachable there by `alias`. */
  withRunNetwork(network: string, alias: string): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [alias] } } };
    return this;
  }

  withInit(): this {
    this.hostConfig.Init = true;
    return this;
  }

  /** The cgroup the container's own cgroup is created in; undefined leaves Docker's default. */
  withCgroupParent(parent: string | undefined): this {
    if (parent) this.hostConfig.CgroupParent = parent;
    return this;
  }
}

/**
Ready as soon as the container runs: the Docker runtime polls readiness itself after starting a
pod's containers (waitHttpReady), so that one container's boot does not hold up the next one's start.
*/
export class RunningWaitStrategy implements WaitStrategy {
  private startupTimeoutMs = 60_000;
  async waitUntilReady(): Promise<void> {}
  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return false;
  }
  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }
}

/** A container that did not get ready: why, and the end of its output (as logTail gives it). */
export class ContainerNotReady extends Error {
  readonly why: string;
  readonly tail: string;
  constructor(what: string, why: string, tail: string) {
    super(`${what} is not ready: ${why}${tail}`);
    this.name = 'ContainerNotReady';
    this.why = why;
    this.tail = tail;
  }
}

/**
Polls an HTTP URL on the host until it answers 200 (a pod agent's readiness routes), failing fast
when the container exits or start-up is aborted, with the end of the container's log in the error.
Images without a shell (ours: FROM scratch) cannot use testcontainers' default port check, which
runs a shell in the container.
*/
export async function waitHttpReady(container: Dockerode.Container, url: string, options: { what: string; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw new Error(`${options.what}: start-up was interrupted`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body.trim().slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (attempt % 5 === 4) {
      const state = await container.inspect().then((i) => i.State, () => null);
      if (!state || !state.Running) {
        const why = state ? `it exited with code ${state.ExitCode}` : 'it is gone';
        throw new ContainerNotReady(options.what, why, await logTail(container));
      }
    }
    if (Date.now() > deadline) throw new ContainerNotReady(options.what, `not ready after ${options.timeoutMs}ms (${url}: ${last})`, await logTail(container));
    await new Promise((r) => setTimeout(r, Math.min(250, 25 * (attempt + 1))));
  }
}

/** The last lines of a container's output, for an error message; empty when there is none. */
export async function logTail(container: Dockerode.Container, lines = FAILURE_TAIL_LINES): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const text = demux(raw).replace(/\n$/, '');
    if (!text.trim()) return '\n  it wrote nothing to stdout or stderr';
    const tail = text.split('\n').slice(-lines);
    return `\n  the last ${tail.length === 1 ? 'line' : `${tail.length} lines`} of its output:\n${tail.map((l) => `  | ${l}`).join('\n')}`;
  } catch {
    return '';
  }
}

/** Everything a container wrote to stdout and stderr (every start of it), as text. */
export async function containerOutput(container: Dockerode.Container): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demux(raw);
}

/**
Waits until a line of a container's output matches `pattern` (a user's image with `ready: { log }`),
failing when the container exits first or after `timeoutMs`, with the end of its output.
*/
export async function waitLogLine(container: Dockerode.Container, pattern: RegExp, options: { what: string; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const stream = (await container.logs({ stdout: true, stderr: true, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const found = await new Promise<'matched' | 'ended' | 'timeout' | 'aborted'>((resolve) => {
    let settled = false;
    const finish = (how: 'matched' | 'ended' | 'timeout' | 'aborted') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      resolve(how);
    };
    const lines = new OutputTail({ onLine: (line) => pattern.test(line) && finish('matched') });
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Followed logs come multiplexed in frames that may be split across chunks.
    let pending = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && (pending[0] === 1 || pending[0] === 2) && pending[1] === 0) {
        const len = pending.readUInt32BE(4);
        if (pending.length < 8 + len) break;
        lines.feed(pending.subarray(8, 8 + len).toString('utf8'));
        pending = pending.subarray(8 + len);
      }
    });
    stream.on('end', () => {
      lines.end();
      finish('ended');
    });
    stream.on('error', () => finish('ended'));
  });
  if (found === 'matched') return;
  if (found === 'aborted') throw new Error(`${options.what}: start-up was interrupted`);
  if (found === 'ended') {
    const state = await container.inspect().then((i) => i.State, () => null);
    throw new ContainerNotReady(options.what, `${state ? `it exited with code ${state.ExitCode}` : 'it is gone'} before a line of its output matched /${pattern.source}/`, await logTail(container));
  }
  throw new ContainerNotReady(options.what, `not ready after ${options.timeoutMs}ms: no line of its output matched /${pattern.source}/`, await logTail(container));
}

/** Docker's multiplexed log format (8-byte frame headers) to text; a TTY's raw output passes as is. */
function demux(buf: Buffer): string {
  const parts: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return i === 0 ? buf.toString('utf8') : parts.join('');
}

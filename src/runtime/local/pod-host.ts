import type { ChildProcess } from 'node:child_process';
import type { ChildMessage, HostRequest, SidecarPorts } from '../../contract/child-message.ts';
import { MeshproofError } from '../../errors.ts';
import type { SpawnedChild } from '../../process/child-process.ts';

type HostedReady = Extract<ChildMessage, { type: 'ready' }>;
/** A request before it is given its id. */
type Request = Omit<Extract<HostRequest, { type: 'host-sidecar' }>, 'id'> | Omit<Extract<HostRequest, { type: 'host-app' }>, 'id'>;

/**
One pod host process (src/sim/host/main.ts) as the harness holds it: it asks the host to start a
sidecar or a built-in app and waits for that part's own ready message, with the same deadline and
abort as a process of its own would get. `instances` lists the pods it holds (its exit is theirs).
*/
export class PodHost {
  readonly child: ChildProcess;
  readonly name: string;
  readonly instances: string[] = [];
  private next = 0;
  /** Requests awaiting their answer: one listener on the host for all of them, not one per pod. */
  private readonly waiting = new Map<string, { answer(m: ChildMessage): void; exited(why: string): void }>();

  constructor(name: string, spawned: SpawnedChild) {
    this.name = name;
    this.child = spawned.child;
    this.child.on('message', (m: ChildMessage) => {
      if (m?.type === 'hosted') this.waiting.get(m.id)?.answer(m.message);
    });
    this.child.once('close', (code, sig) => {
      for (const w of [...this.waiting.values()]) w.exited(`its host exited (code ${code}, signal ${sig})`);
    });
  }

  async sidecar(instance: string, service: string, seed: number, upstreams: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<SidecarPorts> {
    const ready = await this.ask({ type: 'host-sidecar', instance, service, seed, upstreams: [...upstreams] }, `the sidecar of ${instance}`, timeoutMs, signal);
    if (ready.role !== 'sidecar') throw new Error(`${this.name} sent an unexpected ready message for the sidecar of ${instance}`);
    return ready.ports;
  }

  async app(request: Omit<Extract<HostRequest, { type: 'host-app' }>, 'id' | 'type'>, timeoutMs: number, signal: AbortSignal): Promise<number> {
    const ready = await this.ask({ type: 'host-app', ...request }, `app ${request.instance}`, timeoutMs, signal);
    if (ready.role !== 'app') throw new Error(`${this.name} sent an unexpected ready message for app ${request.instance}`);
    return ready.port;
  }

  private ask(request: Request, what: string, timeoutMs: number, signal: AbortSignal): Promise<HostedReady> {
    const id = String(this.next++);
    if (!this.instances.includes(request.instance)) this.instances.push(request.instance);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        cleanup();
        reject(new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${what} (in ${this.name}, pid ${this.child.pid}) did not start: ${why}`));
      };
      const timer = setTimeout(() => fail(`no ready message within ${timeoutMs}ms`), timeoutMs);
      const onAbort = () => fail('start-up was interrupted');
      const cleanup = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        signal.removeEventListener('abort', onAbort);
      };
      this.waiting.set(id, {
        answer: (m) => {
          cleanup();
          if (m.type === 'ready') resolve(m);
          else if (m.type === 'failed') fail(m.why);
          else fail(`unexpected answer ${m.type}`);
        },
        exited: fail,
      });
      if (this.child.exitCode !== null || this.child.signalCode !== null) return fail('its host is gone');
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (!this.child.connected) return fail('its host is gone');
      this.child.send({ ...request, id } as HostRequest, (err) => {
        if (err) fail(`could not reach its host: ${err.message}`);
      });
    });
  }
}

import type { ChildProcess } from 'node:child_process';
import { stopChild, type SpawnedChild } from '../../process/child-process.ts';
import { RunRegistry } from '../../process/run-registry.ts';
import { killProcessesOfRun } from '../../process/run-processes.ts';
import type { ChildRole } from '../runtime.ts';

export type LocalRole = ChildRole;

export type ExitListener = (instance: string, role: LocalRole, code: number | null, signal: string | null) => void;

/**
The child processes of one local run: each recorded in the run registry as it starts (so the next
start reaps it should this harness die), its exit reported unless the run stops it or a process
fault killed it on purpose, and all of them stopped together.
*/
export class LocalChildren implements AsyncDisposable {
  private readonly runId: string;
  private readonly registry: RunRegistry;
  private readonly children: { child: ChildProcess; graceMs: number }[] = [];
  private readonly listeners: ExitListener[] = [];
  /** Apps being killed on purpose (a process fault): their exit is not news. */
  private readonly expected = new Set<ChildProcess>();
  private stopping = false;

  constructor(runId: string, options: { stateDir?: string } = {}) {
    this.runId = runId;
    this.registry = new RunRegistry(runId, { dir: options.stateDir });
  }

  /** Keeps a child that has reported ready; `graceMs` is how long it gets between SIGTERM and SIGKILL at the end. */
  track(instance: string, role: LocalRole, spawned: SpawnedChild, graceMs: number): void {
    // A supervisor says how its program ended just before it exits; 'close' comes after that message.
    let program: { code: number | null; signal: string | null } | null = null;
    spawned.child.on('message', (m: { type?: string; code?: number | null; signal?: string | null }) => {
      if (m?.type === 'exited') program = { code: m.code ?? null, signal: m.signal ?? null };
    });
    this.keep(spawned.child, graceMs, (code, signal) => {
      for (const l of this.listeners) l(instance, role, program?.code ?? code, program?.signal ?? signal);
    });
  }

  /**
  Keeps a pod host that has reported ready: its exit, unless the run stops it, is the exit of every
  pod it holds (each reported as its app's, the part a caller notices missing first).
  */
  trackHost(host: { instances: readonly string[] }, spawned: SpawnedChild, graceMs: number): void {
    this.keep(spawned.child, graceMs, (code, signal) => {
      for (const instance of host.instances) for (const l of this.listeners) l(instance, 'app', code, signal);
    });
  }

  /** Stopped at the end, in the run registry while it lives; `exited` is told of an exit nobody asked for. */
  private keep(child: ChildProcess, graceMs: number, exited: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.children.push({ child, graceMs });
    this.registry.add(child.pid!);
    child.once('close', (code, signal) => {
      this.registry.remove(child.pid!);
      if (this.stopping || this.expected.has(child)) return;
      exited(code, signal);
    });
  }

  /** Records a process the run owns besides its children (a user's program's group leader), for reaping. */
  register(pid: number): void {
    this.registry.add(pid);
  }

  /** The child is about to be killed on purpose: its exit is not reported. */
  expectExit(child: ChildProcess): void {
    this.expected.add(child);
  }

  onUnexpectedExit(listener: ExitListener): void {
    this.listeners.push(listener);
  }

  /**
  Stops every child still running (SIGTERM, then SIGKILL after its grace), then whatever a user's
  program started and left behind, wherever it went; resolves with how many were running.
  */
  async stop(): Promise<number> {
    this.stopping = true;
    const live = this.children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
    await Promise.all(live.map((c) => stopChild(c.child, c.graceMs)));
    killProcessesOfRun(this.runId);
    this.registry.close();
    return live.length;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

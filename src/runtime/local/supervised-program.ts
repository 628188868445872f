import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { appEnvironment, fillTemplate } from '../../scenario/app-contract.ts';
import type { ReadySpec } from '../../scenario/scenario.ts';
import { formatDuration } from '../../util/format.ts';
import { OutputTail } from '../output-tail.ts';
import { probeHttp, probeTcp, type ProbeResult } from '../ready-probe.ts';

const HOST = '127.0.0.1';

/** What the harness tells a supervisor to run (as JSON in MESHPROOF_PROGRAM). */
export interface ProgramSpec {
  runId: string;
  instance: string;
  service: string;
  /** A command line (run by `sh -c`) or an argv list (`${...}` filled). */
  command: string | string[];
  /** Absolute working folder. */
  cwd: string;
  /** The scenario's `env`, as written (templates). */
  env: Record<string, string>;
  ready: ReadySpec;
  /** The sidecar's Host-routed outbound, and its dedicated listener per called service. */
  sidecar: { host: string; port: number };
  upstreams: Record<string, { host: string; port: number }>;
  /** Where the program's stdout and stderr are appended; null = kept in memory only (the last lines). */
  logFile: string | null;
}

/** The program exited, or did not get ready in time: why, and the end of its output. */
export class ProgramFailure extends Error {
  readonly output: string[];
  constructor(why: string, output: string[]) {
    super(why);
    this.name = 'ProgramFailure';
    this.output = output;
  }
}

/**
A user's program, run by its supervisor (command-supervisor.ts) in a process group of its own, so a
signal to the group reaches everything it started: `sh -c` and its children, a dev server and its
workers. Its output is appended to its log file and kept (the last lines) for messages. Once it is
ready (readiness per `ready`), the harness learns its port and its process group.
*/
export class SupervisedProgram {
  private readonly spec: ProgramSpec;
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;
  private readonly output = new OutputTail();
  private readonly lineWaiters = new Set<(line: string) => void>();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** The exit is known and the log written to its end. */
  private finished = false;
  private readonly exitWaiters = new Set<() => void>();
  private exitListener: ((code: number | null, signal: NodeJS.Signals | null, output: string[]) => void) | null = null;

  constructor(spec: ProgramSpec) {
    this.spec = spec;
  }

  /** The process group (the program's pid), once started. */
  get pgid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Called once when the program exits (after start resolved or rejected). */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null, output: string[]) => void): void {
    this.exitListener = listener;
  }

  /** Starts the program on a free port and resolves once it is ready; rejects with a ProgramFailure. */
  async start(): Promise<{ port: number; pid: number }> {
    const { spec } = this;
    const port = await freePort();
    const env = appEnvironment({ runId: spec.runId, instance: spec.instance, service: spec.service, port, sidecar: spec.sidecar, upstreams: spec.upstreams }, spec.env);
    const [file, args] = typeof spec.command === 'string' ? ['sh', ['-c', spec.command]] : [fillTemplate(spec.command[0], env), spec.command.slice(1).map((a) => fillTemplate(a, env))];
    this.log = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a' }) : null;
    this.log?.on('error', () => (this.log = null));
    this.mark(`starting ${describeCommand(spec.command)} in ${spec.cwd} with PORT=${port}`);
    const child = spawn(file, args, { cwd: spec.cwd, env: { ...inherited(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const lines = (stream: NodeJS.ReadableStream) => {
      const tail = new OutputTail({ keep: 1, onLine: (line) => this.line(line) });
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        this.log?.write(text);
        tail.feed(text);
      });
      stream.on('end', () => tail.end());
    };
    lines(child.stdout!);
    lines(child.stderr!);
    child.on('error', () => {});
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => reject(new ProgramFailure(spawnError(file, spec.cwd, err), this.output.tail())));
    });
    // The program is its command's process: when that exits, what it started goes too (as in a
    // container whose PID 1 exits). Then its output is read to the end (the pipes close once the
    // group is gone) before the exit is reported; a process that left the group and holds a pipe
    // open is not waited for long.
    child.once('exit', (code, signal) => {
      signalGroup(child.pid!, 'SIGKILL');
      const drained = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        this.exited(code, signal);
      }, 1000);
      child.once('close', () => {
        clearTimeout(drained);
        this.exited(code, signal);
      });
    });
    await spawned;
    await this.waitReady(port);
    return { port, pid: child.pid! };
  }

  /**
  SIGTERM to the whole group (and SIGCONT, should it be paused), SIGKILL to what is left after
  `graceMs`. Resolves once the program has exited and its group is gone.
  */
  async stop(graceMs = 1500): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    let timer: NodeJS.Timeout | null = null;
    if (this.exit === null) {
      signalGroup(child.pid, 'SIGTERM');
      signalGroup(child.pid, 'SIGCONT');
      timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
    }
    await this.ended();
    if (timer) clearTimeout(timer);
    // What it started and left behind in its group goes too.
    signalGroup(child.pid, 'SIGKILL');
  }

  /** Resolves once the program has exited and its log is written to the end. */
  private ended(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.add(resolve));
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit !== null) return;
    this.exit = { code, signal };
    this.mark(`exited (${exitText(code, signal)})`);
    // Everything is in the file before anyone hears of the exit: the supervisor exits right after.
    const log = this.log;
    const flushed = log ? new Promise<void>((resolve) => log.end(() => resolve())) : Promise.resolve();
    void flushed.then(() => {
      this.finished = true;
      for (const w of this.exitWaiters) w();
      this.exitWaiters.clear();
      this.exitListener?.(code, signal, this.output.tail());
    });
  }

  private line(line: string): void {
    this.output.feed(line + '\n');
    for (const w of this.lineWaiters) w(line);
  }

  /** A line of meshproof's own in the log, so a restart or an exit can be told from the program's output. */
  private mark(text: string): void {
    this.log?.write(`--- meshproof ${new Date().toISOString()} ${this.spec.instance}: ${text} ---\n`);
  }

  private async waitReady(port: number): Promise<void> {
    const { probe, timeoutMs } = this.spec.ready;
    const deadline = performance.now() + timeoutMs;
    let last: ProbeResult = { ok: false, why: 'not checked yet' };
    const failIfExited = () => {
      if (this.exit) throw new ProgramFailure(`it exited (${exitText(this.exit.code, this.exit.signal)}) before it was ready`, this.output.tail());
    };
    const expired = () => new ProgramFailure(`it was not ready within ${formatDuration(timeoutMs)} (ready: ${probeText(this.spec.ready)}; last check: ${last.why})`, this.output.tail());

    if (probe.kind === 'log') {
      const pattern = new RegExp(probe.pattern);
      last = { ok: false, why: 'no line of its output matched yet' };
      await new Promise<void>((resolve, reject) => {
        const finish = (err: Error | null) => {
          clearTimeout(timer);
          this.lineWaiters.delete(onLine);
          this.exitWaiters.delete(onExit);
          if (err) reject(err);
          else resolve();
        };
        const onLine = (line: string) => {
          if (pattern.test(line)) finish(null);
        };
        const onExit = () => {
          try {
            failIfExited();
          } catch (err) {
            finish(err as Error);
          }
        };
        const timer = setTimeout(() => finish(expired()), Math.max(0, deadline - performance.now()));
        // A line that came before the wait began (the program is quick) counts too.
        if (this.output.tail().some((l) => pattern.test(l))) return finish(null);
        this.lineWaiters.add(onLine);
        this.exitWaiters.add(onExit);
        onExit();
      });
      return;
    }
    for (let attempt = 0; ; attempt++) {
      failIfExited();
      last = probe.kind === 'http' ? await probeHttp(HOST, port, probe.path) : await probeTcp(HOST, port);
      failIfExited();
      if (last.ok) return;
      if (performance.now() >= deadline) throw expired();
      // Quick at first (most programs are up within a few hundred ms), then no more than 4 checks a second.
      const pause = Math.min(250, 20 * (attempt + 1), Math.max(0, deadline - performance.now()));
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.exitWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, pause);
        this.exitWaiters.add(done);
      });
    }
  }
}

/** The environment the program inherits from the harness, without meshproof's own variables (it gets its own set). */
function inherited(): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('MESHPROOF_') || k === 'NODE_COMPILE_CACHE') continue;
    out[k] = v;
  }
  return out;
}

/** A port nothing listens on right now, on 127.0.0.1 (the OS picks it; the program binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends a signal to a process group; a group that is gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

export function describeCommand(command: string | string[]): string {
  return typeof command === 'string' ? command : command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function probeText(ready: ReadySpec): string {
  const p = ready.probe;
  return p.kind === 'tcp' ? 'tcp: $PORT accepts a connection' : p.kind === 'http' ? `http: GET ${p.path} answers 2xx` : `log: a line matches /${p.pattern}/`;
}

function exitText(code: number | null, signal: string | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function spawnError(file: string, cwd: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `it could not be run: ${file} was not found (on PATH, or the folder ${cwd} does not exist)`;
  if (err.code === 'EACCES') return `it could not be run: ${file} is not executable (permission denied)`;
  return `it could not be run: ${err.message}`;
}

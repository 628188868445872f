/** The signals that stop meshproof: Ctrl-C, and what `kill`, CI runners and container engines send. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The exit code of an interrupted command (128 + SIGINT), whichever signal it was. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
Where bin/meshproof.js leaves the listener it installs before the CLI's TypeScript is loaded
(compiling it takes a few hundred milliseconds, during which a signal must not end the process with
Node's default 143). Interrupts.install removes it: from then on the CLI's own handling applies.
*/
export const EARLY_INTERRUPT_KEY = Symbol.for('meshproof.early-interrupt');

/** The process, as far as interrupts need it (a fake stands in for it in tests). */
export interface InterruptHost {
  on(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  exit(code: number): void;
  stderr: { write(text: string): unknown };
}

/**
How the CLI answers SIGINT and SIGTERM, from its first instruction to its last. While nothing that
needs cleaning up has started, a signal ends the process at once with 130 and a line saying so.
Inside `whileRunning`, a signal instead aborts `signal`: the work stops, tears down what it started,
and the command returns 130 itself. Later signals change nothing (the cleanup is already under way).
*/
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly host: InterruptHost;
  private running = 0;
  private first: StopSignal | null = null;

  private constructor(host: InterruptHost) {
    this.host = host;
  }

  /** Takes over SIGINT and SIGTERM on `host` (removing bin/meshproof.js's early listener, if any). */
  static install(host: InterruptHost): Interrupts {
    const interrupts = new Interrupts(host);
    const early = (globalThis as Record<symbol, unknown>)[EARLY_INTERRUPT_KEY];
    for (const signal of STOP_SIGNALS) {
      host.on(signal, interrupts.onSignal);
      if (typeof early === 'function') host.off(signal, early as (signal: StopSignal) => void);
    }
    return interrupts;
  }

  /** Aborted by the first SIGINT or SIGTERM, or by stop(). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that interrupted the command, or null (none yet, or stopped by stop()). */
  get received(): StopSignal | null {
    return this.first;
  }

  /** Stops the work as a signal would, for a person's `q` in the live view. */
  stop(): void {
    this.controller.abort();
  }

  /**
  Runs `work`, which starts things that must be cleaned up: while it runs, a signal aborts `signal`
  rather than exiting, and `work` is expected to stop, tear down and return.
  */
  async whileRunning<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work(this.controller.signal);
    } finally {
      this.running--;
    }
  }

  /** Stops listening (the command has finished and the process is about to exit). */
  uninstall(): void {
    for (const signal of STOP_SIGNALS) this.host.off(signal, this.onSignal);
  }

  private readonly onSignal = (signal: StopSignal): void => {
    if (this.controller.signal.aborted) return;
    this.first = signal;
    this.controller.abort();
    if (this.running === 0) {
      this.host.stderr.write(`meshproof: interrupted by ${signal} before anything had started\n`);
      this.host.exit(INTERRUPTED_EXIT_CODE);
    }
  };
}

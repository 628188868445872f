import { MeshproofError } from '../../errors.ts';

/**
How many of a run's Node processes boot at once, and which boots first.

A Node child spends its first ~100 ms of CPU (~300 ms when Node's compile cache misses and it must
strip and compile the TypeScript itself) booting. Started all at once, 181 of them (30 services × 3
replicas) share two cores for half a minute and each one's ready deadline runs out while it waits
for CPU; started `limit` at a time, each boots in a fraction of a second and its deadline, which
counts from its own spawn, means what it says. The total CPU is the same either way, so the whole
start-up takes no longer.

The first start of each kind (each script: sidecar, built-in app, supervisor, fault engine) runs
before any other of its kind, so that the compile cache it writes once ready
(src/process/child-lifecycle.ts) is there for the rest: on a cold cache (a first run, a changed
source, CI) the others then skip the type stripping. Other kinds go on meanwhile.
*/
export class BootGate {
  private readonly limit: number;
  private active = 0;
  private readonly waiting: { admit: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];
  /** Per kind: the first start's settling, which the others of that kind wait for. */
  private readonly first = new Map<string, Promise<void>>();

  private readonly firstOfKindFirst: boolean;

  /**
  `limit`: boots at once, ≥ 1 (Infinity: all at once and in no order, as the runtime started them
  before the gate). `firstOfKindFirst`: false when the compile cache is known to be warm, where
  waiting for the first of a kind buys nothing. @default true
  */
  constructor(limit: number, options: { firstOfKindFirst?: boolean } = {}) {
    if (!(limit >= 1)) throw new RangeError(`a boot gate admits at least 1 start at a time, got ${limit}`);
    this.limit = limit;
    this.firstOfKindFirst = options.firstOfKindFirst ?? true;
  }

  /** Runs `start` when the gate admits it; `signal` aborts the wait (rejects with MESHPROOF_RUNTIME_START_FAILED). */
  async run<T>(kind: string, start: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.limit === Infinity) return start();
    if (!this.firstOfKindFirst) return this.admitted(start, signal);
    const first = this.first.get(kind);
    if (first) await first;
    else {
      const settled = this.admitted(start, signal);
      this.first.set(
        kind,
        settled.then(
          () => {},
          () => {},
        ),
      );
      return settled;
    }
    return this.admitted(start, signal);
  }

  private async admitted<T>(start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    await this.acquire(signal);
    try {
      return await start();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(interrupted());
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        signal,
        admit: () => {
          signal?.removeEventListener('abort', entry.onAbort);
          this.active++;
          resolve();
        },
        onAbort: () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(interrupted());
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.admit();
  }
}

function interrupted(): MeshproofError {
  return new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', 'start-up was interrupted');
}

import { closeSync, openSync, readSync } from 'node:fs';

/**
How long the calling thread has waited for a core so far: the kernel's own account (Linux
schedstat, second field: time runnable but not running), ms. Where the kernel stalled a thread
(other work on the cores) and where the thread was busy with its own work look alike on a clock;
this tells them apart. Read it from the thread it is about: `/proc/thread-self` is the reader's.
*/
export class RunqueueWait implements Disposable {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(96);

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A reader for the calling thread, or null where the kernel does not keep the account (not Linux, no schedstat). */
  static open(): RunqueueWait | null {
    try {
      const r = new RunqueueWait(openSync('/proc/thread-self/schedstat', 'r'));
      return Number.isFinite(r.ms()) ? r : (r.close(), null);
    } catch {
      return null;
    }
  }

  /** Total time the thread has waited for a core, ms (a pread of a few bytes: microseconds). */
  ms(): number {
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    const line = this.buf.toString('latin1', 0, n);
    const first = line.indexOf(' ');
    return Number(line.slice(first + 1, line.indexOf(' ', first + 1))) / 1e6;
  }

  close(): void {
    closeSync(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

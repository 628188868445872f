/**
A concurrency limit with a bounded FIFO queue, the shape of a worker pool with an accept queue:
up to `limit` holders at once, up to `queue` more waiting in arrival order, the rest refused.
`limit: null` means unlimited (no queue is ever used).
*/
export class ConcurrencyLimiter {
  readonly limit: number | null;
  readonly queueLimit: number;
  private holders = 0;
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(options: { limit: number | null; queue: number }) {
    if (options.limit !== null && !(options.limit >= 1)) throw new Error(`concurrency: must be at least 1 or null, got ${options.limit}`);
    this.limit = options.limit;
    this.queueLimit = Math.max(0, options.queue);
  }

  /**
  Takes a slot for `granted`: now ('granted', called synchronously), later in FIFO order ('queued'),
  or never ('rejected': the queue is full). Every granted caller must call `release()` once.
  */
  acquire(granted: () => void): 'granted' | 'queued' | 'rejected' {
    if (this.limit === null || this.holders < this.limit) {
      this.holders++;
      granted();
      return 'granted';
    }
    if (this.queued >= this.queueLimit) return 'rejected';
    this.waiting.push(granted);
    return 'queued';
  }

  /** Frees a slot; the longest waiting caller gets it. */
  release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head] = undefined as unknown as () => void;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      // The slot passes straight to the next waiter: holders stays the same.
      next();
      return;
    }
    this.holders--;
  }

  get active(): number {
    return this.holders;
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }
}

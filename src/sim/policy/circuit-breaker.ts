import type { ConnectionPool } from '../../contract/mesh-policy.ts';

/** A request waiting for a connection (Envoy: a pending stream in the connection pool). */
export interface PoolWaiter {
  /** Set while queued; the pool clears it when it dequeues or cancels the waiter. */
  waiting: boolean;
  /** A connection is free for this waiter now: it must either take it (`attach`) or give up. */
  onConnectionAvailable(): void;
}

export type Admission =
  /** A connection is free: the try may attach to it now (`attach`, then `release` when it ends). */
  | 'connect'
  /** No connection is free: the waiter was queued (pending) and is called back when one frees. */
  | 'pending'
  /** No connection is free and the pending queue is full: refuse (upstream_rq_pending_overflow). */
  | 'overflow-pending';

/**
Envoy's circuit breakers for one caller and one destination cluster (`CircuitBreakers.Thresholds`
of the default priority), over HTTP/1.1, where a connection carries one request at a time:

- `maxConnections`: connections to the whole cluster. A try that finds them all busy waits as a
  pending request for one to free up (Envoy counts `upstream_cx_overflow` when the pool wanted a
  new connection and the breaker said no).
- `maxPendingRequests`: requests waiting for a connection. Over it the try is refused
  (`upstream_rq_pending_overflow`).
- `maxRequests`: requests in flight on connections, checked when a try attaches to a connection
  (Envoy's `ConnPoolImplBase::attachStreamToClient`, which also counts `upstream_rq_pending_overflow`).
- `maxRetries`: concurrent retries; the router asks `retryAllowed` when no retry budget is set.

null means unlimited. Only busy connections are counted: idle keep-alive connections are not, which
differs from Envoy (whose `max_connections` includes idle ones) only when more endpoints are idle
than busy. Pure bookkeeping: the caller acts on the answers and keeps the counters.
*/
export class ConnectionPoolBreaker {
  private maxConnections = Infinity;
  private maxPending = Infinity;
  private maxRequests = Infinity;
  private maxRetries = Infinity;
  /** Connections carrying a try (= tries in flight, over HTTP/1.1). */
  connections = 0;
  /** Waiters in the queue that still wait. */
  pending = 0;
  private queue: (PoolWaiter | null)[] = [];
  private head = 0;
  private draining = false;

  constructor(limits: ConnectionPool) {
    this.configure(limits);
  }

  /** New thresholds (a config push): counts stay; if connections were freed by it, waiters go. */
  configure(limits: ConnectionPool): void {
    this.maxConnections = limits.maxConnections ?? Infinity;
    this.maxPending = limits.maxPendingRequests ?? Infinity;
    this.maxRequests = limits.maxRequests ?? Infinity;
    this.maxRetries = limits.maxRetries ?? Infinity;
    this.drain();
  }

  get limits(): ConnectionPool {
    const n = (v: number) => (v === Infinity ? null : v);
    return { maxConnections: n(this.maxConnections), maxPendingRequests: n(this.maxPending), maxRequests: n(this.maxRequests), maxRetries: n(this.maxRetries) };
  }

  /** Whether a try may have a connection now, else whether it may wait for one. Queues `w` on 'pending'. */
  admit(w: PoolWaiter): Admission {
    if (this.connections < this.maxConnections && this.pending === 0) return 'connect';
    if (this.pending >= this.maxPending) return 'overflow-pending';
    w.waiting = true;
    this.pending++;
    this.queue.push(w);
    return 'pending';
  }

  /** Takes a connection for a try; false when `maxRequests` tries are in flight already (overflow). */
  attach(): boolean {
    if (this.connections >= this.maxRequests) return false;
    this.connections++;
    return true;
  }

  /** A try ended: its connection is free; the oldest waiter gets it. */
  release(): void {
    this.connections--;
    this.drain();
  }

  /** A waiter gave up (its request timed out or its caller left). */
  cancel(w: PoolWaiter): void {
    if (!w.waiting) return;
    w.waiting = false;
    this.pending--;
    const i = this.queue.indexOf(w, this.head);
    if (i !== -1) this.queue[i] = null;
    this.compact();
  }

  /** Whether one more retry may start while `activeRetries` are in progress (Envoy max_retries). */
  retryAllowed(activeRetries: number): boolean {
    return activeRetries < this.maxRetries;
  }

  /** Envoy's `circuit_breakers.default.*_open` gauges: 1 while that limit is reached. */
  open(activeRetries: number): { cx_open: number; rq_pending_open: number; rq_open: number; rq_retry_open: number } {
    return {
      cx_open: this.connections >= this.maxConnections ? 1 : 0,
      rq_pending_open: this.pending >= this.maxPending ? 1 : 0,
      rq_open: this.connections >= this.maxRequests ? 1 : 0,
      rq_retry_open: activeRetries >= this.maxRetries ? 1 : 0,
    };
  }

  private drain(): void {
    // A waiter called back may end synchronously (no healthy host, overflow) and free nothing,
    // or attach; the loop goes on while connections are free. No re-entry from inside a callback.
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending > 0 && this.connections < this.maxConnections) {
        const w = this.queue[this.head];
        this.queue[this.head++] = null;
        if (w === null || w === undefined || !w.waiting) continue;
        w.waiting = false;
        this.pending--;
        w.onConnectionAvailable();
      }
    } finally {
      this.draining = false;
      this.compact();
    }
  }

  private compact(): void {
    if (this.pending === 0) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

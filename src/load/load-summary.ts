import type { LoopDelay } from '../contract/run-health.ts';
import type { LoadHonesty } from './load-honesty.ts';

/** What a load did: the responses it got, and how faithfully it delivered the declared load. */
export interface LoadSummary {
  /** Requests that completed (a response, or an error). */
  requests: number;
  /** Of those, the ones that got no response (reset, refused, timeout). */
  errors: number;
  /** Count by status code, `error` for no response. */
  status: Record<string, number>;
  /** Errors by kind (ECONNRESET, timeout, …). */
  errorKinds: Record<string, number>;
  /** Wall time the load ran, ms. */
  elapsedMs: number;
  honesty: LoadHonesty;
  /** The load process's own event-loop delay over the measured load (it sends every request and times every response); absent when the load ran in another process's loop. */
  loopDelay?: LoopDelay;
  /** How the load process sent an open loop (LoadGeneratorOptions.via), and the real-time priority its sender's thread was granted (`SCHED_FIFO 2`, `refused: …`; null when none was asked for). */
  sender?: { via: 'socket' | 'undici'; priority: string | null };
  /** Every request of an open-loop load, when it was asked for (`trace`): for finding where arrivals bunch. */
  trace?: LoadTrace;
}

/**
Per request of the schedule, in schedule order, ms from the start of the load: when it was intended,
how late the pacer posted it (the kernel woke the pacer's thread late, or it caught up after a
stall), when the sending thread reached it and whether it sent it. A request's lateness is the
pacer's share plus the sending thread's (`reachedMs - intendedMs - pacerLateMs`: the hand-off and
whatever the event loop was doing); `waitMs` says how much of the latter was the machine's.
*/
export interface LoadTrace {
  intendedMs: number[];
  reachedMs: number[];
  /**
  The time the machine had kept the sending thread from running when it reached each request, ms, in
  all: its wait for a core (RunqueueWait), and on the socket sender's thread also how much later than
  its due time each wait for one returned beyond that wait (a timer fired late, a virtual CPU the host
  ran late, which the guest's kernel does not count); null where the kernel keeps no such account.
  */
  waitMs: number[] | null;
  /** null: the pacer kept no record (it was stopped or closed). */
  pacerLateMs: (number | null)[];
  sentMs: (number | null)[];
}

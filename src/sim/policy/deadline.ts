/**
Deadlines that travel with a request, as Envoy carries them between hops: the arithmetic every hop
does, pure (times come in as arguments, monotonic ms), so the three hops of a chain can be checked
with one hand-driven clock.

Envoy's router writes `x-envoy-expected-rq-timeout-ms` on every request it sends upstream
(`FilterUtility::setTimeoutHeaders`): the per-try timeout when there is one, else the route timeout,
never more than what is left of the route timeout, and 1 when nothing is left (0 would mean "no
timeout"). A receiving Envoy ignores the header unless its router has `respect_expected_rq_timeout`;
then the header replaces the route timeout. meshproof's `deadlines: propagate` takes the lesser of
the two instead, so a deadline only ever shortens a hop's timeout (gRPC's rule for a child call).
*/

/** The budget the caller's sidecar gives this request, ms (Envoy's header). */
export const EXPECTED_TIMEOUT_HEADER = 'x-envoy-expected-rq-timeout-ms';

/**
meshproof's own measurement header: the epoch ms at which some caller up the chain stops waiting for
this request (the tightest give-up time so far). Every sidecar writes it on every try and the
built-in service passes it on, whatever `deadlines` says: it decides nothing, it only lets a deep hop
know, for the `wasted` count, when its work stopped mattering.
*/
export const GIVE_UP_HEADER = 'x-meshproof-give-up-at';

/** Whether a hop honours the deadline it is given: `propagate` (Envoy's respect_expected_rq_timeout, and the app passes it on) or `off`. */
export type DeadlineMode = 'propagate' | 'off';

/**
The value of a timeout header in ms, or null when absent or not a whole number (Envoy's SimpleAtoi
failing leaves the timeout as it was). 0 is kept: a caller with no time left.
*/
export function parseTimeoutHeader(value: string | undefined): number | null {
  if (value === undefined || value === '' || value.length > 15) return null;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(value);
}

/** An epoch-ms time from a header, or null when absent or not a whole number. */
export function parseEpochHeader(value: string | undefined): number | null {
  return parseTimeoutHeader(value);
}

/**
The whole-request timeout a hop runs with: its own (null = none), or, when the caller's deadline
is honoured and shorter, what the caller has left. `fromDeadline` says the deadline decided it, so
an expiry is reported as deadline exceeded rather than as the hop's own timeout.
*/
export function effectiveTimeout(ownMs: number | null, callerMs: number | null): { ms: number | null; fromDeadline: boolean } {
  const own = ownMs !== null && ownMs > 0 ? ownMs : null;
  if (callerMs === null) return { ms: own, fromDeadline: false };
  if (own === null || callerMs < own) return { ms: callerMs, fromDeadline: true };
  return { ms: own, fromDeadline: false };
}

/**
What `x-envoy-expected-rq-timeout-ms` says on a try sent at `now` (Envoy's setTimeoutHeaders): the
per-try timeout if set, else the whole-request timeout, capped by what is left of the whole request
(`deadline`, Infinity when none), and at least 1. Null when there is no timeout at all.
*/
export function expectedTimeout(perTryMs: number | null, deadline: number, now: number): number | null {
  let expected = perTryMs !== null && perTryMs > 0 ? perTryMs : Infinity;
  if (deadline !== Infinity) expected = Math.min(expected, Math.max(1, Math.ceil(deadline - now)));
  return expected === Infinity ? null : expected;
}

/**
The give-up time to send on: the earlier of the one the request arrived with and the moment this
hop's caller-side timer fires (`nowEpoch + expectedMs`); null when neither is known.
*/
export function giveUpAt(incoming: number | null, nowEpoch: number, expectedMs: number | null): number | null {
  const mine = expectedMs === null ? null : nowEpoch + expectedMs;
  if (incoming === null) return mine;
  return mine === null ? incoming : Math.min(incoming, mine);
}

/**
A request's deadline as a hop holds it: set from the caller's remaining time when it arrives (at
`arrivedAt`), on a monotonic clock. Infinity when the request carries none.
*/
export class RequestDeadline {
  /** Monotonic ms at which the caller stops waiting; Infinity = no deadline. */
  readonly at: number;

  constructor(at: number) {
    this.at = at;
  }

  static none(): RequestDeadline {
    return new RequestDeadline(Infinity);
  }

  /** The deadline of a request that arrived at `arrivedAt` carrying `remainingMs` (null = none). */
  static fromHeader(remainingMs: number | null, arrivedAt: number): RequestDeadline {
    return new RequestDeadline(remainingMs === null ? Infinity : arrivedAt + remainingMs);
  }

  get known(): boolean {
    return this.at !== Infinity;
  }

  /** Ms left at `now` (0 once passed); Infinity without a deadline. */
  remaining(now: number): number {
    return this.at === Infinity ? Infinity : Math.max(0, this.at - now);
  }

  passed(now: number): boolean {
    return now >= this.at;
  }

  /** What to send on a call made at `now`: the whole ms left, at least 1 (as Envoy, 0 would mean none); null without a deadline. */
  header(now: number): number | null {
    return this.at === Infinity ? null : Math.max(1, Math.ceil(this.at - now));
  }
}

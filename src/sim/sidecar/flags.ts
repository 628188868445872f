/**
Envoy access-log response flags (%RESPONSE_FLAGS%), as a bit set so the request path only ORs
numbers; strings are made (and cached) when a response is written or a sample recorded.
The order of the bits is Envoy's order of the flags in its access log.
*/
export const Flag = {
  /** No healthy upstream host (503). */
  UH: 1 << 0,
  /** Upstream request timeout: whole-request or per-try (504). */
  UT: 1 << 1,
  /** Local reset: the sidecar itself cut the request (it is shutting down). */
  LR: 1 << 9,
  /** Upstream connection failure, e.g. refused (503). */
  UF: 1 << 2,
  /** Upstream connection termination: reset or closed before a full response (503). */
  UC: 1 << 3,
  /**
  Upstream overflow (503 + `x-envoy-overloaded` when the request itself is refused): a circuit
  breaker or bulkhead limit was reached, or a retry was refused by the retry budget / max_retries.
  */
  UO: 1 << 4,
  /** No route: the Host names no known destination (404). */
  NR: 1 << 5,
  /** Delay injected by an L7 fault. */
  DI: 1 << 10,
  /** Abort injected by an L7 fault (the fault's status). */
  FI: 1 << 11,
  /** Refused by a rate limit, local or global (429 + `x-envoy-ratelimited`). */
  RL: 1 << 12,
  /** The rate-limit service could not be reached in time, and `failureMode: deny` answered 500 (Envoy's RateLimitServiceError). */
  RLSE: 1 << 13,
  /** Downstream connection termination: the caller went away first. */
  DC: 1 << 6,
  /** Upstream retry limit exceeded: the last try was retriable but no retry was left. */
  URX: 1 << 7,
  /** No cluster found: here, the sidecar has no config from the control plane yet (503). */
  NC: 1 << 8,
  /**
  Deadline exceeded: set with UT when the timeout that fired was the caller's propagated deadline
  (`deadlines: propagate`), not the hop's own. meshproof's flag, not Envoy's (Envoy says UT only);
  gRPC calls it DEADLINE_EXCEEDED.
  */
  DE: 1 << 14,
} as const;

export type FlagName = keyof typeof Flag;

const NAMES = Object.keys(Flag) as FlagName[];
const headerCache = new Map<number, string>();
const listCache = new Map<number, readonly string[]>();
const EMPTY: readonly string[] = Object.freeze([]);

/** Flags as Envoy prints them: comma separated, e.g. `UT,URX`; empty string for none. */
export function flagsToString(mask: number): string {
  if (mask === 0) return '';
  let s = headerCache.get(mask);
  if (s === undefined) {
    s = flagsToList(mask).join(',');
    headerCache.set(mask, s);
  }
  return s;
}

/** Flags as a frozen list (shared between calls, for recording samples). */
export function flagsToList(mask: number): readonly string[] {
  if (mask === 0) return EMPTY;
  let l = listCache.get(mask);
  if (l === undefined) {
    l = Object.freeze(NAMES.filter((n) => (mask & Flag[n]) !== 0));
    listCache.set(mask, l);
  }
  return l;
}

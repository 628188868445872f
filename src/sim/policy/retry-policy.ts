import type { RetryOn, RetryPolicy } from '../../contract/mesh-policy.ts';

/**
How one try ended, as far as the retry decision is concerned.
- `response`: headers arrived with `status`. `neverRetry` is set when the upstream marked the answer
  as a deliberate refusal (`x-envoy-overloaded` or `x-envoy-ratelimited`), which Envoy never retries.
- `reset`: the connection was reset or closed before the response headers.
- `connect-failure`: the connection could not be made (refused, unreachable).
- `per-try-timeout`: the try ran out of its per-try timeout before the headers and was aborted.
*/
export type TryOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly neverRetry?: boolean }
  | { readonly kind: 'reset' }
  | { readonly kind: 'connect-failure' }
  | { readonly kind: 'per-try-timeout' };

const ON_5XX = 1;
const ON_GATEWAY_ERROR = 2;
const ON_RESET = 4;
const ON_CONNECT_FAILURE = 8;
const ON_RETRIABLE_STATUS_CODES = 16;

const BITS: Record<RetryOn, number> = {
  '5xx': ON_5XX,
  'gateway-error': ON_GATEWAY_ERROR,
  reset: ON_RESET,
  'connect-failure': ON_CONNECT_FAILURE,
  'retriable-status-codes': ON_RETRIABLE_STATUS_CODES,
};

/** A RetryPolicy's `retryOn` compiled once per config push, so classifying a try is a few bit tests. */
export interface RetryConditions {
  readonly mask: number;
  readonly statusCodes: ReadonlySet<number>;
}

export function compileRetryOn(policy: Pick<RetryPolicy, 'retryOn' | 'retriableStatusCodes'>): RetryConditions {
  let mask = 0;
  for (const on of policy.retryOn) {
    const bit = BITS[on];
    if (bit === undefined) throw new Error(`unknown retryOn condition ${JSON.stringify(on)}; expected one of ${Object.keys(BITS).join(', ')}`);
    mask |= bit;
  }
  return { mask, statusCodes: new Set(policy.retriableStatusCodes) };
}

/**
Whether an outcome matches the retry conditions, with Envoy's semantics
(source/common/router/retry_policy_impl.cc, `wouldRetryFromHeaders` / `wouldRetryFromReset`):
- `5xx`: any 5xx response, and every reset (a reset "will result in" a 5xx), connect failures and
  per-try timeouts included;
- `gateway-error`: 502, 503 and 504 responses, and, like `5xx`, every reset, connect failure and
  per-try timeout (Envoy counts an upstream reset as a gateway error);
- `reset`: the upstream did not answer at all: reset, connection closed, connect failure, or
  per-try timeout ("disconnect/reset/read timeout");
- `connect-failure`: the connection could not be made;
- `retriable-status-codes`: a response whose status is listed (a per-try timeout is not a response);
- a response carrying `x-envoy-overloaded` or `x-envoy-ratelimited` is never retried.
*/
export function isRetriable(outcome: TryOutcome, conditions: RetryConditions): boolean {
  const m = conditions.mask;
  switch (outcome.kind) {
    case 'response': {
      if (outcome.neverRetry) return false;
      const s = outcome.status;
      if (m & ON_5XX && s >= 500 && s <= 599) return true;
      if (m & ON_GATEWAY_ERROR && (s === 502 || s === 503 || s === 504)) return true;
      if (m & ON_RETRIABLE_STATUS_CODES && conditions.statusCodes.has(s)) return true;
      return false;
    }
    case 'connect-failure':
      return (m & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET | ON_CONNECT_FAILURE)) !== 0;
    case 'reset':
    case 'per-try-timeout':
      return (m & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET)) !== 0;
  }
}

/**
- `no-retry`: the outcome is not retriable (or there is no retry policy): it goes back to the app;
- `limit-exceeded`: retriable, but every retry is used up (Envoy: URX, `upstream_rq_retry_limit_exceeded`);
- `overflow`: retriable with retries left, but the retry budget is spent (Envoy: UO, `upstream_rq_retry_overflow`);
- `retry`: try again after a back-off.
*/
export type RetryDecision = 'no-retry' | 'retry' | 'limit-exceeded' | 'overflow';

/**
The decision in Envoy's order (RetryStateImpl::shouldRetry): not retriable, then out of retries,
then over budget. `budgetAllows` is only asked when the first two pass.
*/
export function decideRetry(input: {
  retriable: boolean;
  retriesDone: number;
  maxRetries: number;
  budgetAllows: () => boolean;
}): RetryDecision {
  if (!input.retriable) return 'no-retry';
  if (input.retriesDone >= input.maxRetries) return 'limit-exceeded';
  if (!input.budgetAllows()) return 'overflow';
  return 'retry';
}

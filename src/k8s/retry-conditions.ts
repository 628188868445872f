import type { RetryOn } from '../contract/mesh-policy.ts';

/**
What a retry policy retries, as the sidecar decides it (src/sim/policy/retry-policy.ts): which
response statuses, and whether a try with no response (reset, closed, timed out) or a failed
connection is retried. Two `retryOn` lists that differ in words but not in this are the same policy
(`[5xx, reset]` is `[5xx]`), which is what an export and import round trip must keep.
*/
export interface RetryConditions {
  /** Sorted. */
  statuses: number[];
  /** A try that got no response: reset, closed, or over its per-try timeout. */
  noResponse: boolean;
  connectFailure: boolean;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const ALL_5XX = range(500, 599);
export const GATEWAY_ERRORS = [502, 503, 504];

export function conditionsOf(retryOn: readonly RetryOn[], codes: readonly number[]): RetryConditions {
  const statuses = new Set<number>();
  let noResponse = false;
  let connectFailure = false;
  for (const on of retryOn) {
    if (on === '5xx') ALL_5XX.forEach((s) => statuses.add(s));
    if (on === 'gateway-error') GATEWAY_ERRORS.forEach((s) => statuses.add(s));
    if (on === 'retriable-status-codes') codes.forEach((s) => statuses.add(s));
    if (on === '5xx' || on === 'gateway-error' || on === 'reset') noResponse = connectFailure = true;
    if (on === 'connect-failure') connectFailure = true;
  }
  return { statuses: [...statuses].sort((a, b) => a - b), noResponse, connectFailure };
}

/** The shortest `retryOn` (and status list) that retries exactly these conditions. */
export function retryOnFor(c: RetryConditions): { retryOn: RetryOn[]; retriableStatusCodes: number[] } {
  const left = new Set(c.statuses);
  const retryOn: RetryOn[] = [];
  const has = (list: number[]) => list.every((s) => left.has(s));
  // 5xx and gateway-error also retry tries with no response, so they only fit when those are retried.
  if (c.noResponse && has(ALL_5XX)) {
    retryOn.push('5xx');
    ALL_5XX.forEach((s) => left.delete(s));
  } else if (c.noResponse && has(GATEWAY_ERRORS)) {
    retryOn.push('gateway-error');
    GATEWAY_ERRORS.forEach((s) => left.delete(s));
  } else if (c.noResponse) {
    retryOn.push('reset');
  } else if (c.connectFailure) {
    retryOn.push('connect-failure');
  }
  if (left.size > 0) retryOn.push('retriable-status-codes');
  return { retryOn, retriableStatusCodes: [...left].sort((a, b) => a - b) };
}

/** `500-504,507` for a status list: single codes and ranges, as Linkerd's retry.linkerd.io/http takes them. */
export function statusRanges(statuses: readonly number[]): string[] {
  const out: string[] = [];
  const sorted = [...statuses].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out;
}

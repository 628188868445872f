import type { HttpFault } from '../../contract/mesh-policy.ts';
import type { Random } from '../../util/random.ts';

/**
Istio's HTTPFaultInjection as Envoy's fault filter applies it: a delay for `delay.percent` of
requests and an abort with `abort.status` for `abort.percent` of requests, rolled independently
(a request may be delayed and then aborted). Percentages are fractions in [0, 1]; 1 always
applies and 0 never does, without consuming a random draw, so a fault that is all-or-nothing does
not shift the seeded sequence of other choices.
*/
export function shouldInject(percent: number, random: Random): boolean {
  if (percent >= 1) return true;
  if (percent <= 0) return false;
  return random() < percent;
}

/** The delay to inject for one request, in ms (0 = none). */
export function rollDelay(fault: HttpFault, random: Random): number {
  const d = fault.delay;
  return d !== null && d.ms > 0 && shouldInject(d.percent, random) ? d.ms : 0;
}

/** The status to abort one request with (0 = none). */
export function rollAbort(fault: HttpFault, random: Random): number {
  const a = fault.abort;
  return a !== null && shouldInject(a.percent, random) ? a.status : 0;
}

/** A fault that can never do anything (both parts null or at 0%) is treated as no fault. */
export function isInert(fault: HttpFault | null): boolean {
  if (fault === null) return true;
  const delay = fault.delay !== null && fault.delay.ms > 0 && fault.delay.percent > 0;
  const abort = fault.abort !== null && fault.abort.percent > 0;
  return !delay && !abort;
}

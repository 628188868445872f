import type { HttpFault } from '../../contract/mesh-policy.ts';
import type { Clock } from '../../util/clock.ts';
import type { Random } from '../../util/random.ts';
import { rollAbort, rollDelay } from '../policy/fault-injector.ts';
import type { Exchange } from './exchange.ts';
import type { Filter, Handler } from './filter.ts';
import { Flag } from './flags.ts';
import type { ListenerStats } from './stats.ts';

export interface FaultFilterContext {
  readonly clock: Clock;
  readonly random: Random;
  /** Fault counters of the listener the filter sits on. */
  readonly stats: ListenerStats;
  /** The fault in force for this exchange, or null. */
  fault(ex: Exchange): HttpFault | null;
}

function noop(): void {}

/**
Envoy's fault filter, as Istio configures it from a VirtualService `fault`: a delay (flag DI) for
`delay.percent` of requests, then an abort (flag FI, body `fault filter abort`) for `abort.percent`,
rolled independently from the seeded random when the request arrives.

Where it sits decides how it meets retries and timeouts:
- at the caller's outbound (after the route is resolved, before the router), the abort is a local
  reply the router never sees: it is not retried, and the delay runs before the route's timeout
  starts, so neither is bounded or retried by the route's policy (Istio: "timeouts or retries will
  not be enabled" for faulted requests). Requests the fault lets through are routed as usual;
- at the callee's inbound (before the request is forwarded to the app), the caller's sidecar sees
  a real answer from the callee: an aborted request is a 503 (or the fault's status) it may retry
  and charge to outlier detection, and the delay counts against its timeouts.
*/
export function faultFilter(ctx: FaultFilterContext): Filter {
  return (next) => (ex) => {
    const fault = ctx.fault(ex);
    if (fault === null) return next(ex);
    const delayMs = rollDelay(fault, ctx.random);
    const abort = rollAbort(fault, ctx.random);
    if (delayMs === 0) return abortOrContinue(ctx, ex, abort, next);
    ex.flags |= Flag.DI;
    ctx.stats.fault_delays_injected++;
    const timer = ctx.clock.setTimeout(() => {
      ex.onDownstreamAbort(noop);
      if (ex.res.destroyed) return;
      abortOrContinue(ctx, ex, abort, next);
    }, delayMs);
    // The caller leaving during the delay ends it: nothing is forwarded.
    ex.onDownstreamAbort(() => ctx.clock.clearTimeout(timer));
  };
}

function abortOrContinue(ctx: FaultFilterContext, ex: Exchange, abort: number, next: Handler): void {
  if (abort === 0) return next(ex);
  ctx.stats.fault_aborts_injected++;
  ex.sendLocalReply(abort, Flag.FI, 'fault filter abort');
}

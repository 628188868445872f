import type { ClusterState } from './cluster.ts';
import { OVERLOADED } from './exchange.ts';
import type { Filter } from './filter.ts';
import { Flag } from './flags.ts';
import { markPolicy } from './spans.ts';

/**
A bulkhead: at most `bulkhead` requests from this sidecar in flight to one destination; beyond it
the app gets 503 UO with `x-envoy-overloaded` at once (counter `bulkhead_overflow`), like a
circuit breaker's `maxRequests` but counted per request (retries included in the one slot) and set
per calling service, so one slow dependency cannot hold all of the caller's capacity. The slot is
released when the exchange completes (`Sidecar.complete`).
*/
export function bulkheadFilter(onOverflow: (cluster: ClusterState) => void): Filter {
  return (next) => (ex) => {
    const c = ex.cluster!;
    const limit = c.bulkhead;
    if (limit !== null) {
      if (c.bulkheadActive >= limit) {
        c.stats.bulkhead_overflow++;
        onOverflow(c);
        markPolicy(ex, 'bulkhead');
        ex.sendLocalReply(503, Flag.UO, `upstream overflow: the bulkhead for ${c.name} is full: ${c.bulkheadActive} request(s) in flight (bulkhead ${limit})`, OVERLOADED);
        return;
      }
      c.bulkheadActive++;
      ex.bulkhead = c;
    }
    next(ex);
  };
}

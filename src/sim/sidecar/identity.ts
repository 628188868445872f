import type { Random } from '../../util/random.ts';
import type { Filter } from './filter.ts';
import { newRequestId, newTraceId, parseTraceparent } from '../../contract/trace-context.ts';

/**
Request identity, first filter on both listeners: an `x-request-id` is kept or created; on the
outbound side the W3C trace is continued from `traceparent` or started (every try then gets its
own span id in the same trace). Inbound, `traceparent` passes through untouched.
*/
export function requestIdentity(random: Random): Filter {
  return (next) => (ex) => {
    if (!ex.requestId) ex.requestId = newRequestId(random);
    if (ex.direction === 'outbound') {
      const tc = parseTraceparent(ex.traceparent);
      if (tc) {
        ex.traceId = tc.traceId;
        ex.traceFlags = tc.flags;
        ex.parentSpanId = tc.parentId;
      } else {
        ex.traceId = newTraceId(random);
        ex.traceFlags = '01';
      }
    }
    next(ex);
  };
}

import type { Aggregate } from './measure.ts';

/** Times (ms) are kept to the microsecond in evidence and event marks: enough to check, short enough to read. */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
The raw numbers behind a verdict, flat so they fit `Record<string, number>` and a JUnit message:
`window_s`, `requests`, `ok`, `errors`, `retries`, the latency percentiles `p50`/`p90`/`p99`/`max`
(ms, only when some response had a latency), then `status_<code>` and `flag_<flag>` counts, and
`requests_<instance>` for each instance when the scope is a service.
*/
export function evidenceOf(agg: Aggregate, perInstance: Record<string, number> = {}): Record<string, number> {
  const ev: Record<string, number> = {
    window_s: agg.seconds,
    requests: agg.requests,
    ok: agg.ok,
    errors: agg.requests - agg.ok,
    retries: agg.retries,
  };
  if (agg.latency.count > 0) {
    ev.p50 = round3(agg.latency.quantile(0.5));
    ev.p90 = round3(agg.latency.quantile(0.9));
    ev.p99 = round3(agg.latency.quantile(0.99));
    ev.max = round3(agg.latency.quantile(1));
  }
  for (const k of Object.keys(agg.status).sort()) ev[`status_${k}`] = agg.status[k];
  for (const k of Object.keys(agg.flags).sort()) ev[`flag_${k}`] = agg.flags[k];
  if (agg.mtls > 0) ev.mtls = agg.mtls;
  if (agg.denied > 0) ev.denied = agg.denied;
  if (agg.handshakeErrors > 0) ev.handshake_errors = agg.handshakeErrors;
  for (const [instance, n] of Object.entries(perInstance)) ev[`requests_${instance}`] = n;
  return ev;
}

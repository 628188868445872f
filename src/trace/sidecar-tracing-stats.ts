import type { RunningPod } from '../contract/running-pod.ts';
import type { TracingStats } from '../contract/span-sink.ts';
import { httpJson } from '../util/http-json.ts';

/**
Every sidecar's span export counters (`tracing.*` in its /stats), by instance, read before the
topology stops. A sidecar that does not answer (killed) is left out.
*/
export async function sidecarTracingStats(pods: readonly RunningPod[], timeoutMs = 2000): Promise<Record<string, TracingStats>> {
  const out: Record<string, TracingStats> = {};
  await Promise.all(
    pods.map(async (p) => {
      try {
        const s = await httpJson<{ counters: Record<string, number> }>(`${p.adminUrl}/stats`, { timeoutMs });
        const c = s.counters;
        if (c['tracing.spans_recorded'] === undefined) return;
        out[p.instance] = {
          spans_recorded: c['tracing.spans_recorded'] ?? 0,
          spans_dropped: c['tracing.spans_dropped'] ?? 0,
          spans_exported: c['tracing.spans_exported'] ?? 0,
          spans_export_failed: c['tracing.spans_export_failed'] ?? 0,
          traces_rate_limited: c['tracing.traces_rate_limited'] ?? 0,
        };
      } catch {
        /* gone: its counters went with it */
      }
    }),
  );
  return out;
}

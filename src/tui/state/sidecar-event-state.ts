import type { SidecarEvent } from '../../sim/sidecar-config.ts';

/**
What a sidecar event says about an upstream instance's standing with that sidecar, if anything:
an outlier ejection, its end, or an active health check's verdict. The sidecar that reports it is the
caller (`event.instance`); the instance it is about is `data.endpoint` (as the outlier detector and
the health checker write it), or `data.instance` (as `endpoint-added` does).

Other events about an endpoint (`ejection-skipped`: over maxEjectionPercent, not ejected) change
nothing here; they are still log lines.
*/
export type UpstreamChange =
  | { kind: 'ejected'; instance: string; by: string }
  | { kind: 'returned'; instance: string; by: string }
  | { kind: 'unhealthy'; instance: string; by: string }
  | { kind: 'healthy'; instance: string; by: string };

const KIND: Readonly<Record<string, UpstreamChange['kind']>> = {
  ejected: 'ejected',
  'endpoint-ejected': 'ejected',
  unejected: 'returned',
  'endpoint-unejected': 'returned',
  'health-check-failed': 'unhealthy',
  'health-check-passed': 'healthy',
};

export function upstreamChange(event: SidecarEvent, knownInstances: ReadonlySet<string>): UpstreamChange | null {
  const kind = KIND[event.type];
  if (!kind) return null;
  const instance = subjectOf(event, knownInstances);
  return instance ? { kind, instance, by: event.instance } : null;
}

function subjectOf(event: SidecarEvent, known: ReadonlySet<string>): string | null {
  const d = event.data ?? {};
  for (const k of ['endpoint', 'instance']) {
    const v = d[k];
    if (typeof v === 'string' && known.has(v)) return v;
  }
  // Fall back to the first known instance the message names ("payments-1 ejected: …").
  return event.message.split(/[\s:,()]+/).find((w) => known.has(w)) ?? null;
}

import { endpointOf, type MeshEvent, type MeshEventType } from './mesh-event.ts';

/**
What a mesh event says about an upstream instance's standing with the sidecar that reports it, if
anything: an outlier ejection, its end, or an active health check's verdict. The reporter is the
caller (`by`); the instance it is about is the event's `endpoint`.
*/
export interface UpstreamChange {
  kind: 'ejected' | 'returned' | 'unhealthy' | 'healthy';
  instance: string;
  by: string;
}

const KINDS: Partial<Readonly<Record<MeshEventType, UpstreamChange['kind']>>> = {
  ejected: 'ejected',
  unejected: 'returned',
  'health-check-failed': 'unhealthy',
  'health-check-passed': 'healthy',
};

/** The event types that change an upstream's standing. */
export const UPSTREAM_CHANGE_TYPES = Object.keys(KINDS) as MeshEventType[];

/**
The change an event makes, or null: for events that change nothing (`ejection-skipped`: over
maxEjectionPercent, not ejected), and for an event about an instance not in `known`.
*/
export function upstreamChange(event: MeshEvent, known: { has(instance: string): boolean }): UpstreamChange | null {
  const kind = KINDS[event.type];
  const instance = endpointOf(event);
  return kind && instance !== null && known.has(instance) ? { kind, instance, by: event.instance } : null;
}

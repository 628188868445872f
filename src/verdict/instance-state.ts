import { clusterOf, endpointOf, type MeshEvent, type MeshEventOf, type MeshEventType } from '../contract/mesh-event.ts';
import { UPSTREAM_CHANGE_TYPES } from '../contract/upstream-change.ts';
import type { InstanceState, StateChange } from '../contract/state-change.ts';
import type { RunFacts } from './verdict.ts';

/** A mesh event placed on the run's timeline. */
export interface TimedEvent<E extends MeshEvent = MeshEvent> {
  /** ms from the start of the load. */
  atMs: number;
  event: E;
}

/** The events of some types about one endpoint, in time order, `at` converted to ms from the start of the load. */
export function eventsAbout<T extends MeshEventType>(instance: string, types: readonly T[], facts: RunFacts): TimedEvent<MeshEventOf<T>>[] {
  return facts.events
    .filter((e): e is MeshEventOf<T> => (types as readonly MeshEventType[]).includes(e.type) && endpointOf(e) === instance)
    .map((event) => ({ atMs: event.at - facts.t0, event }))
    .sort((a, b) => a.atMs - b.atMs || a.event.seq - b.event.seq);
}

/** What was true of one instance at one moment, and the facts that made it so. */
export interface InstanceStateAt {
  atMs: number;
  /** Killed or paused by the harness (a process fault), with the change that did it; null when its process ran. */
  process: { state: 'killed' | 'paused'; change: StateChange } | null;
  /** The harness's last change to the instance at or before the moment (a restart, a resume…). */
  lastProcessChange: StateChange | null;
  /** The callers' sidecars that had it ejected (outlier detection), each with the ejection. */
  ejectedBy: TimedEvent<MeshEventOf<'ejected'>>[];
  /** The callers' sidecars whose active health checks had it failed. */
  unhealthyBy: TimedEvent[];
  /** The last ejection, return or health change about it at or before the moment (to explain a healthy state). */
  lastMeshEvent: TimedEvent | null;
}

/**
Reconstructs an instance's state at a moment, as the mesh saw it: the harness's process changes
(`facts.states`: killed, paused, back to healthy) and every caller sidecar's view (`ejected` /
`unejected`, `health-check-failed` / `health-check-passed`). An instance is ejected when any caller's
sidecar has it ejected, as each sidecar decides alone. Facts at exactly the moment count.
*/
export function instanceStateAt(instance: string, atMs: number, facts: RunFacts): InstanceStateAt {
  let lastProcessChange: StateChange | null = null;
  for (const c of [...facts.states].sort((a, b) => a.atMs - b.atMs)) {
    if (c.instance === instance && c.atMs <= atMs) lastProcessChange = c;
  }
  const ps = lastProcessChange?.state;
  const process = lastProcessChange && (ps === 'killed' || ps === 'paused') ? { state: ps, change: lastProcessChange } : null;

  const ejected = new Map<string, TimedEvent<MeshEventOf<'ejected'>>>();
  const unhealthy = new Map<string, TimedEvent>();
  let lastMeshEvent: TimedEvent | null = null;
  for (const t of eventsAbout(instance, UPSTREAM_CHANGE_TYPES, facts)) {
    if (t.atMs > atMs) break;
    // One sidecar may hold the instance in several clusters (a service called under two names); key by both.
    const key = `${t.event.instance}\u0000${clusterOf(t.event) ?? ''}`;
    lastMeshEvent = t;
    const type = t.event.type;
    if (type === 'ejected') ejected.set(key, t as TimedEvent<MeshEventOf<'ejected'>>);
    else if (type === 'unejected') ejected.delete(key);
    else if (type === 'health-check-failed') unhealthy.set(key, t);
    else unhealthy.delete(key);
  }
  return { atMs, process, lastProcessChange, ejectedBy: [...ejected.values()], unhealthyBy: [...unhealthy.values()], lastMeshEvent };
}

/** The states an instance was in (several at once: paused and ejected), or `healthy` when none. */
export function statesOf(s: InstanceStateAt): InstanceState[] {
  const out: InstanceState[] = [];
  if (s.process) out.push(s.process.state);
  if (s.ejectedBy.length > 0) out.push('ejected');
  if (s.unhealthyBy.length > 0) out.push('unhealthy');
  return out.length ? out : ['healthy'];
}

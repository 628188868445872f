import type { InstanceState } from '../scenario/scenario.ts';
import type { SidecarEvent } from '../sim/sidecar-config.ts';
import type { RunFacts, StateChange } from './verdict.ts';

/** A sidecar event placed on the run's timeline. */
export interface TimedEvent {
  /** ms from the start of the load. */
  atMs: number;
  event: SidecarEvent;
}

/** The instance a sidecar event is about (`data.endpoint`), or null for events about no endpoint. */
export function endpointOf(event: SidecarEvent): string | null {
  const e = event.data?.endpoint;
  return typeof e === 'string' ? e : null;
}

/**
What a sidecar event says about an upstream instance's standing with that sidecar, if anything: an
outlier ejection, its end, or an active health check's verdict. The sidecar that reports it is the
caller (`event.instance`); the instance it is about is `data.endpoint` (as the outlier detector and
the health checker write it), or `data.instance` (as `endpoint-added` does), or else the first
instance of `known` the message names ("payments-1 ejected: …").

Other events about an endpoint (`ejection-skipped`: over maxEjectionPercent, not ejected) change
nothing; null for them, and for an event about no instance in `known`.
*/
export type UpstreamChange =
  | { kind: 'ejected'; instance: string; by: string }
  | { kind: 'returned'; instance: string; by: string }
  | { kind: 'unhealthy'; instance: string; by: string }
  | { kind: 'healthy'; instance: string; by: string };

const UPSTREAM_KINDS: Readonly<Record<string, UpstreamChange['kind']>> = {
  ejected: 'ejected',
  'endpoint-ejected': 'ejected',
  unejected: 'returned',
  'endpoint-unejected': 'returned',
  'health-check-failed': 'unhealthy',
  'health-check-passed': 'healthy',
};

export function upstreamChange(event: SidecarEvent, known: { has(instance: string): boolean }): UpstreamChange | null {
  const kind = UPSTREAM_KINDS[event.type];
  if (!kind) return null;
  const instance = subjectOf(event, known);
  return instance ? { kind, instance, by: event.instance } : null;
}

function subjectOf(event: SidecarEvent, known: { has(instance: string): boolean }): string | null {
  const d = event.data ?? {};
  for (const k of ['endpoint', 'instance']) {
    const v = d[k];
    if (typeof v === 'string' && known.has(v)) return v;
  }
  return event.message.split(/[\s:,()]+/).find((w) => known.has(w)) ?? null;
}

/** The events of some types about one endpoint, in time order, `at` converted to ms from the start of the load. */
export function eventsAbout(instance: string, types: readonly string[], facts: RunFacts): TimedEvent[] {
  return facts.events
    .filter((e) => types.includes(e.type) && endpointOf(e) === instance)
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
  ejectedBy: TimedEvent[];
  /** The callers' sidecars whose active health checks had it failed. */
  unhealthyBy: TimedEvent[];
  /** The last ejection, return or health change about it at or before the moment (to explain a healthy state). */
  lastMeshEvent: TimedEvent | null;
}

const MESH_EVENTS = ['ejected', 'unejected', 'health-check-failed', 'health-check-passed'] as const;

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

  const ejected = new Map<string, TimedEvent>();
  const unhealthy = new Map<string, TimedEvent>();
  let lastMeshEvent: TimedEvent | null = null;
  for (const t of eventsAbout(instance, MESH_EVENTS, facts)) {
    if (t.atMs > atMs) break;
    // One sidecar may hold the instance in several clusters (a service called under two names); key by both.
    const key = `${t.event.instance}\u0000${String(t.event.data?.cluster ?? '')}`;
    lastMeshEvent = t;
    if (t.event.type === 'ejected') ejected.set(key, t);
    else if (t.event.type === 'unejected') ejected.delete(key);
    else if (t.event.type === 'health-check-failed') unhealthy.set(key, t);
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

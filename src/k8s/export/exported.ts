import { formatDuration } from '../../util/format.ts';

/** The meshes meshproof exports to. */
export const EXPORT_TARGETS = ['istio', 'gateway-api', 'linkerd'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** A Kubernetes resource as plain data. */
export type Resource = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } & Record<string, unknown>;

/**
Something the target mesh cannot express, said instead of dropped: which destination and which
meshproof key, and what the mesh will do instead. A round trip may lose exactly these.
*/
export interface ExportNote {
  /** A destination service, or a service for topology notes. */
  destination: string;
  /** The meshproof key under `mesh.<destination>` (or under `services.<name>`). */
  key: string;
  message: string;
}

/** What an export wrote: files of resources, and the notes. */
export interface Exported {
  target: ExportTarget;
  files: { name: string; resources: Resource[] }[];
  notes: ExportNote[];
}

/** The label every exported resource carries, so `kubectl delete -l` removes what meshproof wrote. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshproof' };

/** The annotation the Gateway API export records the scenario's profile in (its defaults are the implementation's otherwise). */
export const PROFILE_ANNOTATION = 'meshproof.dev/profile';

/** A duration in Go's form (Istio's): 600ms, 1.5s, 1m. */
export function goDuration(ms: number): string {
  return formatDuration(ms);
}

/** 0.1 → 10, as Istio's percent fields take it. */
export function percentNumber(fraction: number): number {
  return Number((fraction * 100).toPrecision(12));
}


import type { ReadySpec, ServiceSpec } from '../../scenario/scenario.ts';
import { POD_PORTS } from './pod-ports.ts';

/** What to check when a user's image does not get ready, by its readiness kind. */
export function readyCheck(ready: ReadySpec | null): string {
  const p = ready?.probe;
  const check = p?.kind === 'http' ? `does GET ${p.path} on $PORT (${POD_PORTS.app}) answer 2xx?` : p?.kind === 'log' ? `does it print a line matching /${p.pattern}/?` : `does it listen on $PORT (${POD_PORTS.app})?`;
  return `is it present locally, and ${check}`;
}

export function userImageHint(userImage: string | null, ready: ReadySpec | null = null): string {
  return userImage ? ` (image ${userImage}: ${readyCheck(ready)})` : '';
}

/** The user's image for a service, when its spec names one. */
export function userImageOf(spec: ServiceSpec): string | null {
  return spec.image ?? null;
}

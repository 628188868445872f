import type { DeadlineMode } from '../../contract/mesh-policy.ts';
import type { Plan, PodPlan } from '../../plan/plan-scenario.ts';
import { appEnvironment } from '../../scenario/app-contract.ts';
import { POD_PORTS, upstreamPorts } from './pod-ports.ts';

/**
The environment of a user's image: the contract of the local runtime's `command:` (app-contract.ts,
docs/own-services.md), with the pod's fixed ports — PORT 8080, MESHPROOF_SIDECAR 127.0.0.1:15001,
each called service's `<NAME>_URL` on 127.0.0.1:15101 and up, HTTP_PROXY — and the scenario's `env`
on top; plus MESHPROOF_SEED and MESHPROOF_SERVICE_SPEC, as the built-in app gets them.
*/
export function imageEnvironment(plan: Plan, pod: PodPlan): Record<string, string> {
  const upstreams = Object.fromEntries(Object.entries(upstreamPorts(plan.routes[pod.service] ?? [])).map(([service, port]) => [service, { host: '127.0.0.1', port }]));
  return {
    ...appEnvironment(
      { runId: plan.runId, instance: pod.instance, service: pod.service, port: POD_PORTS.app, sidecar: { host: '127.0.0.1', port: POD_PORTS.outbound }, upstreams },
      pod.spec.env ?? {},
    ),
    MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
    MESHPROOF_SEED: String(pod.appSeed),
  };
}

/**
The environment of the built-in app's container: PORT, and its sidecar at MESHPROOF_SIDECAR, where it
names the destination service in the Host header (none for an external service's: `withSidecar` false).
*/
export function builtinAppEnvironment(runId: string, pod: PodPlan, deadlines: DeadlineMode = 'off', withSidecar = true): Record<string, string> {
  return {
    MESHPROOF_RUN_ID: runId,
    PORT: String(POD_PORTS.app),
    ...(withSidecar ? { MESHPROOF_SIDECAR: `127.0.0.1:${POD_PORTS.outbound}` } : {}),
    MESHPROOF_INSTANCE: pod.instance,
    MESHPROOF_SERVICE: pod.service,
    MESHPROOF_SERVICE_SPEC: JSON.stringify(pod.spec),
    MESHPROOF_SEED: String(pod.appSeed),
    MESHPROOF_DEADLINES: deadlines,
  };
}

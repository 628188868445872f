import { WORKLOAD_PORT } from '../../contract/defaults.ts';
import { instanceNames, instanceSpec, type Scenario, type ServiceSpec } from '../../scenario/scenario.ts';
import { ZONE_LABEL } from '../import/topology.ts';
import { MANAGED_BY, type ExportNote, type ExportTarget, type Resource } from './exported.ts';

/** The port every exported service listens on (the container's, behind a Service on 80). */
export const APP_PORT = WORKLOAD_PORT;

/** The image written where a service runs meshproof's built-in service (it has none): obviously not pullable. */
export function placeholderImage(service: string): string {
  return `example.invalid/replace-me/${service}:latest`;
}

/** The per-version Service of a version (Gateway API and Linkerd route to Services, not subsets). */
export function versionService(service: string, version: string): string {
  return `${service}-${version}`;
}

/** The versions of a service, in the order its instances have them. */
export function versionsOf(s: ServiceSpec): string[] {
  return [...new Set(instanceNames(s).map((i) => instanceSpec(s, i).version))];
}

/**
The topology as Kubernetes resources: per service a Service (port 80 → 8080) and a ServiceAccount
(the identity its pods run under, which mTLS and authorization name), and per group of
instances that share a version and a zone a Deployment (labels app and version, the zone as a
node selector), with the user's image or a placeholder, `PORT` and one `<CALLEE>_URL` per call (the
contract meshproof's own services follow). `perVersion` adds a Service per version, which routes of
Gateway API and Linkerd name.
*/
export function exportTopology(scenario: Scenario, target: ExportTarget, perVersion: Set<string>, notes: ExportNote[]): Resource[] {
  const out: Resource[] = [];
  for (const s of scenario.services) {
    out.push(service(s.name, { app: s.name }));
    // The workload's identity: spiffe://<trust domain>/ns/default/sa/<service>, as meshproof names it.
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: s.name, labels: { ...MANAGED_BY, app: s.name } } });
    if (perVersion.has(s.name)) for (const v of versionsOf(s)) out.push(service(versionService(s.name, v), { app: s.name, version: v }));
    const groups = new Map<string, { version: string; zone: string | null; replicas: number }>();
    for (const i of instanceNames(s)) {
      const spec = instanceSpec(s, i);
      const key = `${spec.version}/${spec.zone ?? ''}`;
      const g = groups.get(key) ?? { version: spec.version, zone: spec.zone, replicas: 0 };
      g.replicas++;
      groups.set(key, g);
    }
    const many = groups.size > 1;
    for (const g of groups.values()) {
      const name = many ? [s.name, g.version, g.zone].filter(Boolean).join('-') : s.name;
      out.push(deployment(name, s, g, scenario, target, notes));
    }
    if (Object.values(s.instances).some((o) => o.latency || o.errorRate !== undefined || o.concurrency !== undefined)) {
      notes.push({ destination: s.name, key: `services.${s.name}.instances`, message: 'per-instance behaviour of the built-in service (latency, errors, concurrency) is simulation, not configuration: not exported' });
    }
  }
  return out;
}

function service(name: string, selector: Record<string, string>): Resource {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { ...MANAGED_BY, app: selector.app } },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: APP_PORT }] },
  };
}

function deployment(
  name: string,
  s: ServiceSpec,
  g: { version: string; zone: string | null; replicas: number },
  scenario: Scenario,
  target: ExportTarget,
  notes: ExportNote[],
): Resource {
  const labels: Record<string, string> = { app: s.name, version: g.version };
  const podLabels: Record<string, string> = { ...labels };
  const podAnnotations: Record<string, string> = {};
  if (target === 'istio') podLabels['sidecar.istio.io/inject'] = 'true';
  if (target === 'linkerd') podAnnotations['linkerd.io/inject'] = 'enabled';
  const env = [{ name: 'PORT', value: String(APP_PORT) }, ...s.calls.map((c) => ({ name: `${c.toUpperCase().replace(/-/g, '_')}_URL`, value: `http://${c}` }))];
  const container: Record<string, unknown> = {
    name: 'app',
    image: s.image ?? placeholderImage(s.name),
    ports: [{ name: 'http', containerPort: APP_PORT }],
    env,
  };
  const hc = scenario.mesh[s.name]?.healthCheck;
  if (hc) {
    container.readinessProbe = {
      httpGet: { path: hc.path, port: APP_PORT },
      periodSeconds: Math.max(1, Math.round(hc.intervalMs / 1000)),
      timeoutSeconds: Math.max(1, Math.round(hc.timeoutMs / 1000)),
      failureThreshold: hc.unhealthyThreshold,
      successThreshold: hc.healthyThreshold,
    };
    if (!notes.some((n) => n.destination === s.name && n.key === 'healthCheck')) {
      notes.push({ destination: s.name, key: 'healthCheck', message: `${target === 'gateway-api' ? 'the Gateway API has' : `${target === 'istio' ? 'Istio' : 'Linkerd'} has`} no active health checks: written as the Deployment's readinessProbe (the kubelet probes, in whole seconds, and Kubernetes removes unready endpoints)` });
    }
  }
  const spec: Record<string, unknown> = { serviceAccountName: s.name, containers: [container] };
  if (g.zone !== null) spec.nodeSelector = { [ZONE_LABEL]: g.zone };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { ...MANAGED_BY, ...labels } },
    spec: {
      replicas: g.replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels: podLabels, ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}) }, spec },
    },
  };
}

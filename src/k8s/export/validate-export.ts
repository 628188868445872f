import { readDuration } from '../../scenario/duration.ts';
import type { Exported, Resource } from './exported.ts';
import { LINKERD_ANNOTATIONS } from '../import/linkerd.ts';

type Model = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for each kind meshproof writes (loaded when an export is validated). */
async function modelFor(r: Resource): Promise<Model | null> {
  switch (`${r.apiVersion}/${r.kind}`) {
    case 'v1/ServiceAccount':
      return (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount as unknown as Model;
    case 'v1/Service':
      return (await import('kubernetes-models/v1/Service')).Service as unknown as Model;
    case 'apps/v1/Deployment':
      return (await import('kubernetes-models/apps/v1/Deployment')).Deployment as unknown as Model;
    case 'networking.istio.io/v1/DestinationRule':
      return (await import('@kubernetes-models/istio/networking.istio.io/v1/DestinationRule')).DestinationRule as unknown as Model;
    case 'networking.istio.io/v1/VirtualService':
      return (await import('@kubernetes-models/istio/networking.istio.io/v1/VirtualService')).VirtualService as unknown as Model;
    case 'security.istio.io/v1/PeerAuthentication':
      return (await import('@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication')).PeerAuthentication as unknown as Model;
    case 'security.istio.io/v1/AuthorizationPolicy':
      return (await import('@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy')).AuthorizationPolicy as unknown as Model;
    case 'networking.istio.io/v1/Gateway':
      return (await import('@kubernetes-models/istio/networking.istio.io/v1/Gateway')).Gateway as unknown as Model;
    case 'networking.istio.io/v1/ServiceEntry':
      return (await import('@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry')).ServiceEntry as unknown as Model;
    case 'networking.istio.io/v1/Sidecar':
      return (await import('@kubernetes-models/istio/networking.istio.io/v1/Sidecar')).Sidecar as unknown as Model;
    case 'gateway.networking.k8s.io/v1/Gateway':
      return (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway')).Gateway as unknown as Model;
    case 'gateway.networking.k8s.io/v1/HTTPRoute':
      return (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute')).HTTPRoute as unknown as Model;
    default:
      return null;
  }
}

/**
Checks every exported resource offline: against the Kubernetes, Istio (1.29) and Gateway API
(v1.5) schemas of the kubernetes-models packages, then with meshproof's own checks where those
schemas stop (they skip CRD CEL rules and Istio's duration and percentage formats, accept unknown
fields, and know nothing of Linkerd's annotations or of references between resources). Returns the
problems, each naming the resource and field; none means valid.
*/
export async function validateExport(exported: Exported): Promise<string[]> {
  const problems: string[] = [];
  const all = exported.files.flatMap((f) => f.resources);
  for (const r of all) {
    const where = `${r.kind} ${r.metadata.name}`;
    const Model = await modelFor(r);
    if (!Model) problems.push(`${where}: no schema to check ${r.apiVersion} ${r.kind} against`);
    else {
      try {
        new Model(r).validate();
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
      }
    }
    problems.push(...ownChecks(r, all).map((p) => `${where}: ${p}`));
  }
  return problems;
}

const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/;
const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

function ownChecks(r: Resource, all: Resource[]): string[] {
  const out: string[] = [];
  const spec = (r.spec ?? {}) as Record<string, any>;
  const services = new Set(all.filter((x) => x.kind === 'Service').map((x) => x.metadata.name));
  // Hosts outside the cluster a ServiceEntry declares: a DestinationRule or a route may name them.
  const entries = new Set(all.filter((x) => x.kind === 'ServiceEntry').flatMap((x) => ((x.spec as any)?.hosts ?? []) as string[]));
  const gateways = new Set(all.filter((x) => x.kind === 'Gateway').map((x) => x.metadata.name));
  const duration = (v: unknown, field: string, min = 1) => {
    if (v === undefined) return;
    if (typeof v !== 'string' || !GO_DURATION.test(v)) out.push(`${field}: "${v}" is not a duration Istio reads`);
    else {
      const ms = readDuration(v);
      if (ms.ok && ms.value < min && ms.value !== 0) out.push(`${field}: ${v} is below Istio's minimum of ${min}ms`);
    }
  };
  const percent = (v: unknown, field: string, whole: boolean) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || v < 0 || v > 100 || (whole && !Number.isInteger(v))) out.push(`${field}: ${v} is not a ${whole ? 'whole ' : ''}percentage from 0 to 100`);
  };
  if (r.kind === 'DestinationRule') {
    const od = spec.trafficPolicy?.outlierDetection ?? {};
    duration(od.interval, 'spec.trafficPolicy.outlierDetection.interval');
    duration(od.baseEjectionTime, 'spec.trafficPolicy.outlierDetection.baseEjectionTime');
    percent(od.maxEjectionPercent, 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', true);
    percent(od.minHealthPercent, 'spec.trafficPolicy.outlierDetection.minHealthPercent', true);
    percent(spec.trafficPolicy?.retryBudget?.percent, 'spec.trafficPolicy.retryBudget.percent', false);
    if (!services.has(spec.host) && !entries.has(spec.host)) out.push(`spec.host: no Service or ServiceEntry ${spec.host} in the export`);
  }
  if (r.kind === 'VirtualService') {
    const dr = all.find((x) => x.kind === 'DestinationRule' && (x.spec as any)?.host === spec.hosts?.[0]);
    const subsets = new Set(((dr?.spec as any)?.subsets ?? []).map((s: { name: string }) => s.name));
    (spec.http ?? []).forEach((h: Record<string, any>, i: number) => {
      const at = `spec.http[${i}]`;
      duration(h.timeout, `${at}.timeout`);
      duration(h.retries?.perTryTimeout, `${at}.retries.perTryTimeout`);
      duration(h.retries?.backoff, `${at}.retries.backoff`);
      duration(h.fault?.delay?.fixedDelay, `${at}.fault.delay.fixedDelay`);
      percent(h.fault?.delay?.percentage?.value, `${at}.fault.delay.percentage.value`, false);
      percent(h.fault?.abort?.percentage?.value, `${at}.fault.abort.percentage.value`, false);
      for (const token of String(h.retries?.retryOn ?? '').split(',').filter(Boolean)) {
        if (!/^\d{3}$/.test(token) && !['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'].includes(token)) out.push(`${at}.retries.retryOn: unknown condition ${token}`);
      }
      const route = (h.route ?? []) as { destination: { subset?: string }; weight?: number }[];
      if (route.length > 1) {
        const sum = route.reduce((a, d) => a + (d.weight ?? 0), 0);
        if (sum !== 100 || route.some((d) => !Number.isInteger(d.weight))) out.push(`${at}.route: weights must be whole numbers adding up to 100 (they add up to ${sum})`);
      }
      route.forEach((d, j) => {
        const host = (d.destination as { host?: string }).host ?? '';
        if (!services.has(host) && !entries.has(host)) out.push(`${at}.route[${j}].destination.host: no Service or ServiceEntry ${host} in the export`);
        if (d.destination.subset !== undefined && !subsets.has(d.destination.subset)) out.push(`${at}.route[${j}].destination.subset: no subset ${d.destination.subset} in DestinationRule ${spec.hosts?.[0]}`);
      });
    });
  }
  if (r.kind === 'VirtualService') {
    for (const g of (spec.gateways ?? []) as string[]) if (g !== 'mesh' && !gateways.has(g)) out.push(`spec.gateways: no Gateway ${g} in the export`);
  }
  if (r.kind === 'Gateway' && r.apiVersion.startsWith('networking.istio.io/')) {
    const selector = (spec.selector ?? {}) as Record<string, string>;
    const selected = all.some((d) => d.kind === 'Deployment' && Object.entries(selector).every(([k, v]) => (d.spec as any)?.template?.metadata?.labels?.[k] === v));
    if (!selected) out.push('spec.selector: selects no gateway Deployment in the export');
  }
  if (r.kind === 'HTTPRoute') {
    for (const p of spec.parentRefs ?? []) if (p.kind === 'Service' && !services.has(p.name)) out.push(`spec.parentRefs: no Service ${p.name} in the export`);
    for (const p of spec.parentRefs ?? []) if ((p.kind ?? 'Gateway') === 'Gateway' && !gateways.has(p.name)) out.push(`spec.parentRefs: no Gateway ${p.name} in the export`);
    (spec.rules ?? []).forEach((rule: Record<string, any>, i: number) => {
      const at = `spec.rules[${i}]`;
      for (const b of rule.backendRefs ?? []) if (!services.has(b.name)) out.push(`${at}.backendRefs: no Service ${b.name} in the export`);
      const t = rule.timeouts ?? {};
      for (const f of ['request', 'backendRequest']) if (t[f] !== undefined && !GATEWAY_DURATION.test(t[f])) out.push(`${at}.timeouts.${f}: "${t[f]}" is not a Gateway API duration`);
      // The CRD's CEL rule, which the schema package does not run.
      const req = t.request !== undefined ? readDuration(t.request) : null;
      const back = t.backendRequest !== undefined ? readDuration(t.backendRequest) : null;
      if (req?.ok && back?.ok && req.value !== 0 && back.value > req.value) out.push(`${at}.timeouts: backendRequest (${t.backendRequest}) must be <= request (${t.request})`);
      if ((rule.backendRefs ?? []).length > 1 && (rule.backendRefs as { weight?: number }[]).every((b) => (b.weight ?? 1) === 0)) out.push(`${at}.backendRefs: every weight is 0`);
    });
  }
  if (r.kind === 'Service') {
    for (const [k, v] of Object.entries(r.metadata.annotations ?? {})) {
      if (!k.includes('linkerd.io/')) continue;
      if (!(k in LINKERD_ANNOTATIONS)) out.push(`metadata.annotations.${k}: not an annotation Linkerd reads`);
      else if (/timeout|penalty/.test(k) && !/^\d+(ms|s|m|h)$/.test(v)) out.push(`metadata.annotations.${k}: "${v}" is not a whole duration Linkerd reads`);
      else if (/limit|max-failures/.test(k) && !/^\d+$/.test(v)) out.push(`metadata.annotations.${k}: "${v}" is not a whole number`);
      else if (k === 'retry.linkerd.io/http' && !v.split(',').every((t) => /^(5xx|gateway-error|\d{3}|\d{3}-\d{3})$/.test(t))) out.push(`metadata.annotations.${k}: "${v}" is not a list of 5xx, gateway-error, codes or ranges`);
    }
    const selector = (spec.selector ?? {}) as Record<string, string>;
    const selected = all.some((d) => d.kind === 'Deployment' && Object.entries(selector).every(([k, v]) => (d.spec as any)?.template?.metadata?.labels?.[k] === v));
    if (!selected) out.push('spec.selector: selects no Deployment in the export');
  }
  if (r.kind === 'Deployment') {
    const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries((spec.selector?.matchLabels ?? {}) as Record<string, string>)) if (labels[k] !== v) out.push(`spec.selector.matchLabels.${k}: the pod template's labels do not match it`);
  }
  return out;
}

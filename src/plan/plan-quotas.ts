import { CALLER_HEADER, DESCRIPTOR_KEYS, ruleKey, type DescriptorAction, type RlsConfig, type RlsDescriptor } from '../contract/rate-limit-service.ts';
import type { Quota, RateLimitServiceSpec, Scenario } from '../scenario/scenario.ts';

/** The rate-limit service a run starts, and what each service's sidecars ask it. */
export interface RateLimitPlan {
  spec: RateLimitServiceSpec;
  /** Its configuration, as envoyproxy/ratelimit's config file would say it. */
  config: RlsConfig;
  /** The descriptors each service's inbound sends, by service (only services with quotas). */
  actions: Record<string, DescriptorAction[][]>;
  /** Each quota, by the key the service counts it under (`ruleKey`: `<domain>.destination_cluster_orders.client_cluster`). */
  quotas: Record<string, { service: string; quota: Quota }>;
}

/**
The services' quotas as the rate-limit service's configuration and the sidecars' actions. Pure.
Each service is a descriptor `destination_cluster=<service>`: its `by: service` quota is that
descriptor's limit; its other quotas are children keyed by what they count by (the caller's service,
the path, a header), with a value or without one (one counter per value). A sidecar sends one
descriptor per thing counted by, so every quota of its service is checked on every request.
*/
export function planQuotas(scenario: Scenario): RateLimitPlan | null {
  const spec = scenario.rateLimitService ?? null;
  if (!spec) return null;
  const descriptors: RlsDescriptor[] = [];
  const actions: Record<string, DescriptorAction[][]> = {};
  const quotas: RateLimitPlan['quotas'] = {};
  for (const service of scenario.services) {
    const list = service.quotas ?? [];
    if (list.length === 0) continue;
    const root: RlsDescriptor = { key: DESCRIPTOR_KEYS.service, value: service.name };
    const fixed: DescriptorAction = { kind: 'fixed', key: DESCRIPTOR_KEYS.service, value: service.name };
    const sent: DescriptorAction[][] = [];
    const children: RlsDescriptor[] = [];
    const sources = new Map<string, DescriptorAction>();
    for (const q of list) {
      const limit = { unit: q.limit.unit, requests_per_unit: q.limit.requests };
      if (q.by === 'service') {
        root.rate_limit = limit;
        if (q.shadow) root.shadow_mode = true;
        sent.push([fixed]);
        quotas[ruleKey(spec.domain, [root])] = { service: service.name, quota: q };
        continue;
      }
      const source = sourceOf(q);
      sources.set(source.key, source);
      const child: RlsDescriptor = { key: source.key, ...(q.value === null ? {} : { value: q.value }), rate_limit: limit, ...(q.shadow ? { shadow_mode: true } : {}) };
      children.push(child);
      quotas[ruleKey(spec.domain, [root, child])] = { service: service.name, quota: q };
    }
    for (const source of sources.values()) sent.push([fixed, source]);
    if (children.length > 0) root.descriptors = children;
    descriptors.push(root);
    actions[service.name] = sent;
  }
  return { spec, config: { domain: spec.domain, descriptors }, actions, quotas };
}

/** Where a quota's second entry comes from, and its key. */
function sourceOf(q: Quota): DescriptorAction {
  switch (q.by) {
    case 'caller':
      return { kind: 'header', key: DESCRIPTOR_KEYS.caller, header: CALLER_HEADER };
    case 'path':
      return { kind: 'path', key: DESCRIPTOR_KEYS.path };
    default:
      return { kind: 'header', key: q.header!, header: q.header! };
  }
}

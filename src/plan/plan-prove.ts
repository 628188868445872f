import { isDeepStrictEqual } from 'node:util';
import { PROFILES, type ProfileDefaults } from '../contract/defaults.ts';
import type { DestinationPolicy } from '../contract/mesh-policy.ts';
import { defaultLocality } from '../scenario/normalise-mesh.ts';
import type { Scenario, ServiceSpec } from '../scenario/scenario.ts';
import { formatDuration, formatPercent, formatRate } from '../util/format.ts';

/**
What `meshproof prove` runs, decided before anything runs: the policies a scenario declares, and for
each one the scenario without it — the profile's default in its place, exactly what a scenario that
does not write it would get. Pure: no I/O, no clock.
*/

/** The kinds of policy `prove` takes out one at a time; a new policy of the scenario language gets a rule below. */
export const POLICY_KINDS = [
  'timeout',
  'retries',
  'perTryTimeout',
  'budget',
  'loadBalancer',
  'connectionPool',
  'outlierDetection',
  'panicThreshold',
  'healthCheck',
  'locality',
  'split',
  'rateLimit',
  'bulkhead',
  'mtls',
  'authorization',
] as const;

export type PolicyKind = (typeof POLICY_KINDS)[number];

/** One policy the scenario declares (its effective value differs from the profile's default). */
export interface DeclaredPolicy {
  /** Where it is written, as a path in the scenario: `mesh.store.timeout`, `mesh.store.retries.budget`, `services.inventory.rateLimit`, `services.api.bulkheads.backend`, `security.mtls`. Unique in a scenario. */
  key: string;
  kind: PolicyKind;
  /** Whose policy: the destination under `mesh`, the callee of a rate limit, an mTLS mode or an authorization policy, the caller of a bulkhead; `mesh` for the mesh-wide mTLS mode. */
  service: string;
  /** What the scenario declares, in a few words ("150ms"). */
  declared: string;
  /** What runs without it ("15s, the envoy default"). */
  instead: string;
}

/** One run of a proof: the scenario as declared, or without some of its policies. */
export interface ProveVariant {
  /** `baseline`, a policy's key, or `every-policy`. */
  id: string;
  /** Keys of the policies taken out (none for the baseline). */
  removed: string[];
  scenario: Scenario;
}

export interface ProvePlan {
  /** The policies the scenario declares, grouped by service in declaration order. */
  policies: DeclaredPolicy[];
  /**
  The baseline first, then one variant per policy, then one with every policy taken out — only with
  two policies or more: with one, that policy's variant is it, and with none the baseline is.
  */
  variants: ProveVariant[];
  /** The id of the variant with every policy taken out (see `variants`). */
  withoutEveryPolicy: string;
}

/** The id of the baseline variant. */
export const BASELINE = 'baseline';
/** The id of the variant with every policy taken out, when it is a run of its own. */
export const EVERY_POLICY = 'every-policy';

interface DestinationRule {
  kind: PolicyKind;
  /** The key under `mesh.<destination>`. */
  key: string;
  declared(d: DestinationPolicy, p: ProfileDefaults): boolean;
  remove(d: DestinationPolicy, p: ProfileDefaults): DestinationPolicy;
  text(d: DestinationPolicy): string;
}

const ms = (x: number | null) => (x === null ? 'none' : formatDuration(x));

/** Each destination policy: whether the scenario declares it (differs from the default), and the policy without it. */
const DESTINATION_RULES: DestinationRule[] = [
  {
    kind: 'timeout',
    key: 'timeout',
    declared: (d, p) => d.timeoutMs !== p.timeoutMs,
    remove: (d, p) => ({ ...d, timeoutMs: p.timeoutMs }),
    text: (d) => ms(d.timeoutMs),
  },
  {
    kind: 'retries',
    key: 'retries',
    declared: (d, p) => !isDeepStrictEqual(d.retries, p.retries),
    remove: (d, p) => ({ ...d, retries: structuredClone(p.retries) }),
    text: (d) => (d.retries ? `${d.retries.attempts} on ${d.retries.retryOn.join(', ')}` : 'none'),
  },
  {
    kind: 'perTryTimeout',
    key: 'retries.perTryTimeout',
    declared: (d) => (d.retries?.perTryTimeoutMs ?? null) !== null,
    remove: (d) => ({ ...d, retries: d.retries && { ...d.retries, perTryTimeoutMs: null } }),
    text: (d) => ms(d.retries?.perTryTimeoutMs ?? null),
  },
  {
    kind: 'budget',
    key: 'retries.budget',
    declared: (d) => (d.retries?.budget ?? null) !== null,
    remove: (d) => ({ ...d, retries: d.retries && { ...d.retries, budget: null } }),
    text: (d) => (d.retries?.budget ? `${formatPercent(d.retries.budget.percent)} (min ${d.retries.budget.minRetryConcurrency})` : 'none'),
  },
  {
    kind: 'loadBalancer',
    key: 'loadBalancer',
    declared: (d, p) => d.loadBalancer !== p.loadBalancer,
    remove: (d, p) => ({ ...d, loadBalancer: p.loadBalancer }),
    text: (d) => d.loadBalancer,
  },
  {
    kind: 'connectionPool',
    key: 'connectionPool',
    declared: (d, p) => !isDeepStrictEqual(d.connectionPool, p.connectionPool),
    remove: (d, p) => ({ ...d, connectionPool: { ...p.connectionPool } }),
    text: (d) => {
      const c = d.connectionPool;
      const n = (x: number | null) => (x === null ? '∞' : String(x));
      return `${n(c.maxConnections)} connections, ${n(c.maxPendingRequests)} pending, ${n(c.maxRequests)} requests, ${n(c.maxRetries)} retries`;
    },
  },
  {
    kind: 'outlierDetection',
    key: 'outlierDetection',
    declared: (d) => d.outlierDetection !== null,
    // Where the profile ties locality to outlier detection (Istio) and the scenario left locality to
    // it, locality goes with it, as it would in a scenario that wrote neither.
    remove: (d, p) => ({ ...d, outlierDetection: null, locality: isDeepStrictEqual(d.locality, defaultLocality(p, d.outlierDetection)) ? defaultLocality(p, null) : d.locality }),
    text: (d) => {
      const o = d.outlierDetection;
      if (!o) return 'off';
      const on = [o.consecutive5xx !== null ? `${o.consecutive5xx} × 5xx` : '', o.consecutiveGatewayErrors !== null ? `${o.consecutiveGatewayErrors} × gateway error` : ''].filter(Boolean).join(' or ');
      return `${on || 'nothing'} every ${formatDuration(o.intervalMs)}, ejected ${formatDuration(o.baseEjectionTimeMs)}, at most ${formatPercent(o.maxEjectionPercent)}`;
    },
  },
  {
    kind: 'panicThreshold',
    key: 'panicThreshold',
    declared: (d, p) => d.panicThreshold !== p.panicThreshold,
    remove: (d, p) => ({ ...d, panicThreshold: p.panicThreshold }),
    text: (d) => formatPercent(d.panicThreshold),
  },
  {
    kind: 'healthCheck',
    key: 'healthCheck',
    declared: (d) => d.healthCheck !== null,
    remove: (d) => ({ ...d, healthCheck: null }),
    text: (d) => (d.healthCheck ? `every ${formatDuration(d.healthCheck.intervalMs)}, ${d.healthCheck.unhealthyThreshold} down / ${d.healthCheck.healthyThreshold} up` : 'off'),
  },
  {
    kind: 'locality',
    key: 'locality',
    declared: (d, p) => !isDeepStrictEqual(d.locality, defaultLocality(p, d.outlierDetection)),
    remove: (d, p) => ({ ...d, locality: defaultLocality(p, d.outlierDetection) }),
    text: (d) => (d.locality.enabled ? `on (overprovisioning ${d.locality.overprovisioningFactor})` : 'off'),
  },
  {
    kind: 'split',
    key: 'split',
    declared: (d) => d.split !== null,
    remove: (d) => ({ ...d, split: null }),
    text: (d) =>
      d.split
        ? [Object.entries(d.split.weights).map(([v, w]) => `${v} ${formatPercent(w)}`).join(', '), ...d.split.routes.map((r) => `${Object.entries(r.headers).map(([h, v]) => `${h}=${v}`).join(' ')} → ${r.version}`)]
            .filter(Boolean)
            .join('; ')
        : 'none',
  },
];

/** A change to a scenario that takes one policy out. */
type Removal = (s: Scenario) => Scenario;

/**
The policies `scenario` declares and the variants `prove` runs. A policy is declared when its
effective value differs from what the profile gives a scenario that does not write it (a policy
written with the default's own value changes nothing when taken out, so it is not listed).
The standing `fault` of a destination is not a policy: it is the trouble, not the defence.
*/
export function planProve(scenario: Scenario): ProvePlan {
  const p = PROFILES[scenario.profile];
  const found: { policy: DeclaredPolicy; remove: Removal }[] = [];
  // The mesh-wide mTLS mode, and each service's own mode and authorization policies (Istio's
  // PeerAuthentication and AuthorizationPolicy): without them, the mesh-wide mode and no policy.
  const meshMode = scenario.security?.mtls ?? p.security.mtls;
  if (scenario.security && meshMode !== p.security.mtls) {
    found.push({
      policy: { key: 'security.mtls', kind: 'mtls', service: 'mesh', declared: meshMode, instead: `${p.security.mtls}, the ${scenario.profile} default` },
      remove: (s) => ({ ...s, security: s.security && { ...s.security, mtls: p.security.mtls } }),
    });
  }
  for (const service of scenario.services) {
    const d = scenario.mesh[service.name];
    if (d) {
      for (const rule of DESTINATION_RULES) {
        if (!rule.declared(d, p)) continue;
        const without = rule.remove(d, p);
        found.push({
          policy: { key: `mesh.${service.name}.${rule.key}`, kind: rule.kind, service: service.name, declared: rule.text(d), instead: `${rule.text(without)}, the ${scenario.profile} default` },
          // Applied to the policy as it is in the scenario at hand, so removals compose.
          remove: (s) => ({ ...s, mesh: { ...s.mesh, [service.name]: rule.remove(s.mesh[service.name], p) } }),
        });
      }
    }
    if (service.rateLimit) {
      found.push({
        policy: { key: `services.${service.name}.rateLimit`, kind: 'rateLimit', service: service.name, declared: `${formatRate(service.rateLimit.requestsPerSecond)}, burst ${service.rateLimit.burst}`, instead: 'none, the default' },
        remove: (s) => withService(s, service.name, (x) => ({ ...x, rateLimit: null })),
      });
    }
    for (const [callee, limit] of Object.entries(service.bulkheads)) {
      found.push({
        policy: { key: `services.${service.name}.bulkheads.${callee}`, kind: 'bulkhead', service: service.name, declared: `${limit} in flight to ${callee}`, instead: 'none, the default' },
        remove: (s) =>
          withService(s, service.name, (x) => {
            const { [callee]: _, ...rest } = x.bulkheads;
            return { ...x, bulkheads: rest };
          }),
      });
    }
    const mode = service.mtls ?? null;
    if (mode !== null && mode !== meshMode) {
      found.push({
        policy: { key: `services.${service.name}.mtls`, kind: 'mtls', service: service.name, declared: mode, instead: `${meshMode}, the mesh-wide mode` },
        remove: (s) => withService(s, service.name, (x) => ({ ...x, mtls: null })),
      });
    }
    const policies = service.authorization ?? [];
    if (policies.length > 0) {
      found.push({
        policy: { key: `services.${service.name}.authorization`, kind: 'authorization', service: service.name, declared: policies.map((x) => `${x.name} (${x.action})`).join(', '), instead: 'none, the default' },
        remove: (s) => withService(s, service.name, (x) => ({ ...x, authorization: [] })),
      });
    }
  }
  const variants: ProveVariant[] = [{ id: BASELINE, removed: [], scenario }];
  for (const f of found) variants.push(variant(scenario, f.policy.key, [f.policy.key], f.remove));
  let withoutEveryPolicy = found.length === 0 ? BASELINE : found[0].policy.key;
  if (found.length > 1) {
    variants.push(
      variant(
        scenario,
        EVERY_POLICY,
        found.map((f) => f.policy.key),
        (s) => found.reduce((acc, f) => f.remove(acc), s),
      ),
    );
    withoutEveryPolicy = EVERY_POLICY;
  }
  return { policies: found.map((f) => f.policy), variants, withoutEveryPolicy };
}

function variant(scenario: Scenario, id: string, removed: string[], remove: Removal): ProveVariant {
  const without = id === EVERY_POLICY ? 'every policy' : id;
  return {
    id,
    removed,
    scenario: {
      ...remove(scenario),
      // Its report folder says what was taken out, as the shipped twins' names do.
      name: `${scenario.name}--without-${id === EVERY_POLICY ? EVERY_POLICY : id}`,
      description: `${scenario.name} without ${without} (the profile's default instead)`,
    },
  };
}

function withService(s: Scenario, name: string, change: (x: ServiceSpec) => ServiceSpec): Scenario {
  return { ...s, services: s.services.map((x) => (x.name === name ? change(x) : x)) };
}

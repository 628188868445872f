import { DEFAULT_PROFILE, DEFAULT_TRUST_DOMAIN, DEFAULT_VERSION, PROFILES } from '../../contract/defaults.ts';
import type { DestinationPolicy } from '../../contract/mesh-policy.ts';
import type { ClusterConfig, Endpoint, SidecarConfig, SidecarSecurity } from '../../contract/sidecar-config.ts';

/**
A validated config with every optional field filled: the control plane sends them all, but a push
from an older control plane (or a test) that leaves the policies of issue 3 out keeps the
behaviour from before them. An absent field means "off": no circuit breaker limits, no outlier
detection, no health checks, no panic (threshold 0), no locality, no split, no fault, no bulkhead,
no rate limit, no deadline propagation. A cluster without its own `fault` uses its policy's standing fault. Values a policy
that is on leaves out (a health check's path, locality's overprovisioning factor) are the default
profile's.
*/
export function withDefaults(cfg: SidecarConfig): SidecarConfig {
  const clusters: Record<string, ClusterConfig> = {};
  for (const [name, c] of Object.entries(cfg.clusters)) {
    const policy = policyDefaults(c.policy);
    clusters[name] = {
      policy,
      endpoints: c.endpoints.map(endpointDefaults),
      fault: c.fault !== undefined ? c.fault : policy.fault,
      bulkhead: c.bulkhead ?? null,
      mtls: c.mtls ?? null,
      ...(c.tls ? { tls: c.tls } : {}),
    };
  }
  const inbound: Partial<SidecarConfig['inbound']> = cfg.inbound ?? { rateLimit: null, fault: null };
  const rl = inbound.rateLimit ?? null;
  return {
    ...cfg,
    clusters,
    zone: cfg.zone ?? null,
    subset: cfg.subset ?? DEFAULT_VERSION,
    inbound: {
      rateLimit: rl === null ? null : { requestsPerSecond: rl.requestsPerSecond, burst: rl.burst ?? rl.requestsPerSecond },
      fault: inbound.fault ?? null,
      deadlines: inbound.deadlines ?? 'off',
      globalRateLimit: inbound.globalRateLimit ?? null,
    },
    security: securityDefaults(cfg.security),
    ...(cfg.passthrough ? { passthrough: Object.fromEntries(Object.entries(cfg.passthrough).map(([host, eps]) => [host, eps.map(endpointDefaults)])) } : {}),
  };
}

/** No security block: no identity, nothing trusted, plaintext only, no policies. */
function securityDefaults(s: SidecarConfig['security']): SidecarSecurity {
  if (!s) return { trustDomain: DEFAULT_TRUST_DOMAIN, identity: null, trustBundle: [], trustBundleRoots: [], mtls: 'DISABLE', authorization: [], clockSkewMs: 0 };
  return { ...s, trustBundleRoots: s.trustBundleRoots ?? [], clockSkewMs: s.clockSkewMs ?? 0 };
}

function endpointDefaults(e: Endpoint): Endpoint {
  return { ...e, zone: e.zone ?? null, version: e.version ?? DEFAULT_VERSION };
}

const FALLBACK = PROFILES[DEFAULT_PROFILE];

function policyDefaults(p: DestinationPolicy): DestinationPolicy {
  const cp: Partial<DestinationPolicy['connectionPool']> = p.connectionPool ?? {};
  const hc = p.healthCheck ?? null;
  return {
    ...p,
    connectionPool: {
      maxConnections: cp.maxConnections ?? null,
      maxPendingRequests: cp.maxPendingRequests ?? null,
      maxRequests: cp.maxRequests ?? null,
      maxRetries: cp.maxRetries ?? null,
    },
    outlierDetection: p.outlierDetection ?? null,
    panicThreshold: p.panicThreshold ?? 0,
    healthCheck: hc === null ? null : { ...hc, path: hc.path ?? FALLBACK.healthCheck.path },
    fault: p.fault ?? null,
    locality: { enabled: p.locality?.enabled ?? false, overprovisioningFactor: p.locality?.overprovisioningFactor ?? FALLBACK.overprovisioningFactor },
    split: p.split ?? null,
    deadlines: p.deadlines ?? 'off',
  };
}

import { parseScenario } from '../scenario/parse-scenario.ts';
import { instanceNames, instanceSpec, type MeshProfile, type ServiceSpec } from '../scenario/scenario.ts';
import { type DestinationPolicy } from '../contract/mesh-policy.ts';
import { conditionsOf, type RetryConditions } from './retry-conditions.ts';

/**
A destination's policy as it behaves, for comparing two policies written differently: retry
conditions as what they retry, and values that cannot matter left out (the panic threshold when
nothing ever marks an instance unhealthy, locality when no instance has a zone, the back-off and
retry limits when nothing is retried). Two policies with equal effective forms do the same thing.
*/
export interface EffectivePolicy {
  timeoutMs: number | null;
  retries: {
    attempts: number;
    perTryTimeoutMs: number | null;
    conditions: RetryConditions;
    backoff: { baseMs: number; maxMs: number };
    budget: { percent: number; minRetryConcurrency: number } | null;
  } | null;
  loadBalancer: DestinationPolicy['loadBalancer'] | null;
  connectionPool: DestinationPolicy['connectionPool'];
  outlierDetection: DestinationPolicy['outlierDetection'];
  panicThreshold: number | null;
  healthCheck: DestinationPolicy['healthCheck'];
  fault: DestinationPolicy['fault'];
  locality: DestinationPolicy['locality'] | null;
  split: DestinationPolicy['split'];
}

export function effectivePolicy(p: DestinationPolicy, spec: ServiceSpec | undefined): EffectivePolicy {
  const instances = spec ? instanceNames(spec).map((i) => instanceSpec(spec, i)) : [];
  const zoned = instances.some((i) => i.zone !== null);
  const r = p.retries;
  const pool = { ...p.connectionPool };
  // maxRetries only limits retries that are made, and a budget replaces it.
  if (!r || r.budget) pool.maxRetries = null;
  return {
    timeoutMs: p.timeoutMs,
    retries: r
      ? { attempts: r.attempts, perTryTimeoutMs: r.perTryTimeoutMs, conditions: conditionsOf(r.retryOn, r.retriableStatusCodes), backoff: r.backoff, budget: r.budget }
      : null,
    // One instance is picked the same way by every balancer.
    loadBalancer: instances.length > 1 ? p.loadBalancer : null,
    connectionPool: pool,
    outlierDetection: p.outlierDetection,
    panicThreshold: p.outlierDetection || p.healthCheck ? p.panicThreshold : null,
    healthCheck: p.healthCheck,
    fault: p.fault,
    locality: zoned ? p.locality : null,
    split: p.split,
  };
}

const cache = new Map<MeshProfile, { unwritten: DestinationPolicy; blocks: DestinationPolicy }>();

function profilePolicies(profile: MeshProfile): { unwritten: DestinationPolicy; blocks: DestinationPolicy } {
  let p = cache.get(profile);
  if (!p) {
    const text = [
      'version: 1',
      'name: d',
      'description: d',
      'duration: 1s',
      'services: { s: { calls: [b] }, b: {} }',
      `mesh: { profile: ${profile}, b: { outlierDetection: {}, healthCheck: {}, retries: {} } }`,
      'load: { target: s, rate: 1/s }',
      'expect: [success_rate(client) >= 1%]',
    ].join('\n');
    const parsed = parseScenario(text, `(${profile} defaults)`);
    if (!parsed.scenario) throw new Error(`the ${profile} profile's defaults do not parse: ${parsed.issues.map((i) => i.message).join('; ')}`);
    p = { unwritten: parsed.scenario.mesh.s, blocks: parsed.scenario.mesh.b };
    cache.set(profile, p);
  }
  return p;
}

/**
What a profile gives a destination the scenario says nothing about: the policy a mesh applies
by default. Read through the scenario parser, so it is the normaliser's own answer.
*/
export function defaultPolicy(profile: MeshProfile): DestinationPolicy {
  return structuredClone(profilePolicies(profile).unwritten);
}

/** The profile's values for blocks that are off unless written (outlierDetection, healthCheck, a retries block): what `{}` gives. */
export function defaultBlocks(profile: MeshProfile): DestinationPolicy {
  return structuredClone(profilePolicies(profile).blocks);
}

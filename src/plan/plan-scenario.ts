import type { Anchor, AnyExpectation, Arrivals, GatewaySpec, Scenario, ServiceSpec } from '../scenario/scenario.ts';
import { egressGatewayOf, externalsOf, gatewayAsService, gatewayDestinations, gatewaysOf, instanceNames, instanceSpec } from '../scenario/scenario.ts';
import { deriveSeed } from '../util/random.ts';
import { planQuotas, type RateLimitPlan } from './plan-quotas.ts';

/**
One pod to run: an instance of a service (its app and the sidecar beside it), of a gateway (a proxy
of its own, no app), or of an external service (the built-in app alone, no sidecar).
*/
export interface PodPlan {
  instance: string;
  service: string;
  index: number;
  /** What runs in the pod. Absent = a service's. */
  kind?: 'service' | 'gateway' | 'external';
  /** A service's or an external's behaviour; a gateway's as the mesh sees it (its rate limit, the services it sends to). */
  spec: ServiceSpec;
  /** The gateway, for a gateway's pod. */
  gateway?: GatewaySpec;
  /** Seeds for the app's and the sidecar's random choices, derived from the scenario's seed and the instance name. */
  appSeed: number;
  sidecarSeed: number;
}

export interface LoadPhasePlan {
  /** Offset from the start of the load, ms. */
  startMs: number;
  durationMs: number;
  rate: number;
}

export interface LoadPlan {
  target: string;
  path: string;
  /** The Host header of its requests. */
  host: string;
  /** open: on the schedule of `phases` and `arrivals`; closed: `connections` requests in flight, no schedule (`phases` empty). */
  model: 'open' | 'closed';
  arrivals: Arrivals;
  /** Seed of the schedule's random gaps (poisson), derived from the scenario's seed. */
  seed: number;
  /** Most requests in flight. */
  connections: number;
  durationMs: number;
  phases: LoadPhasePlan[];
}

/** What a run will start and do, decided before anything starts. Pure: no I/O, no clock. */
export interface Plan {
  runId: string;
  scenario: Scenario;
  pods: PodPlan[];
  /** The sidecar the load generator talks to, like a mesh's ingress gateway: service `client`, no app. */
  ingress: { instance: 'ingress'; service: 'client'; sidecarSeed: number };
  load: LoadPlan;
  /**
  For each service (and gateway), the destinations its proxy has a cluster for: the services and
  registered externals it calls (an ingress gateway: its routes' destinations; the egress gateway:
  every registered external); `client` calls the load target. Unregistered externals are not among them.
  */
  routes: Record<string, string[]>;
  /**
  Which pods a caller's proxy dials for a destination when it is not the destination's own: a
  registered external reached through the egress gateway (by every caller but the gateway itself).
  */
  via: Record<string, string>;
  /** For each service, the unregistered externals it calls: hosts its sidecar can only pass through (ALLOW_ANY) or refuse (REGISTRY_ONLY). */
  passthrough: Record<string, string[]>;
  /**
  Whether links pass through the fault engine (one proxy per calling pod and callee instance).
  True when the scenario has wire faults (toxics, partitions); otherwise sidecars dial each other
  directly and the run pays nothing for a fault engine it would not use.
  */
  wire: boolean;
  /** Seed of the fault engine's random choices (jitter, toxicity rolls). */
  wireSeed: number;
  /** The rate-limit service the run starts for the services' quotas; null when none has any. */
  rateLimit: RateLimitPlan | null;
}

export function planScenario(scenario: Scenario, runId: string): Plan {
  const pods: PodPlan[] = [];
  const add = (spec: ServiceSpec, kind: PodPlan['kind'], gateway?: GatewaySpec) => {
    instanceNames(spec).forEach((instance, index) => {
      pods.push({
        instance,
        service: spec.name,
        index,
        ...(kind !== 'service' ? { kind } : {}),
        spec: instanceSpec(spec, instance),
        ...(gateway ? { gateway } : {}),
        appSeed: deriveSeed(scenario.seed, `app:${instance}`),
        sidecarSeed: deriveSeed(scenario.seed, `sidecar:${instance}`),
      });
    });
  };
  for (const spec of scenario.services) add(spec, 'service');
  const externals = externalsOf(scenario);
  const registered = new Set(externals.filter((e) => e.registered).map((e) => e.name));
  const egress = egressGatewayOf(scenario);
  const routes: Record<string, string[]> = { client: [scenario.load.target] };
  const passthrough: Record<string, string[]> = {};
  for (const s of scenario.services) {
    const calls = [...new Set(s.calls)];
    const unregistered = calls.filter((c) => externals.some((e) => e.name === c) && !registered.has(c));
    routes[s.name] = calls.filter((c) => !unregistered.includes(c));
    if (unregistered.length > 0) passthrough[s.name] = unregistered;
  }
  for (const g of gatewaysOf(scenario)) {
    const calls = g.kind === 'egress' ? [...registered] : gatewayDestinations(g);
    add(gatewayAsService(g, scenario), 'gateway', g);
    routes[g.name] = calls;
  }
  for (const e of externals) add(e, 'external');
  const via: Record<string, string> = {};
  if (egress) for (const e of registered) via[e] = egress.name;

  const l = scenario.load;
  let phases: LoadPhasePlan[];
  if (l.model === 'closed') {
    phases = [];
  } else if (l.phases.length > 0) {
    let at = 0;
    phases = l.phases.map((p) => {
      const phase = { startMs: at, durationMs: p.durationMs, rate: p.rate };
      at += p.durationMs;
      return phase;
    });
  } else {
    phases = [{ startMs: 0, durationMs: l.durationMs, rate: l.rate ?? 0 }];
  }
  return {
    runId,
    scenario,
    pods,
    ingress: { instance: 'ingress', service: 'client', sidecarSeed: deriveSeed(scenario.seed, 'sidecar:ingress') },
    load: {
      target: l.target,
      path: l.path,
      host: l.host ?? l.target,
      model: l.model,
      arrivals: l.arrivals,
      seed: deriveSeed(scenario.seed, 'load'),
      connections: l.connections,
      durationMs: l.durationMs,
      phases,
    },
    routes,
    via,
    passthrough,
    wire: (scenario.faults ?? []).some((f) => f.action.kind === 'toxic' || f.action.kind === 'partition'),
    wireSeed: deriveSeed(scenario.seed, 'fault-engine'),
    rateLimit: planQuotas(scenario),
  };
}

/** Whose pods a caller's proxy dials for a destination: the destination's own, or the egress gateway's. */
export function dialedService(plan: Pick<Plan, 'via'>, caller: string, destination: string): string {
  const via = plan.via?.[destination];
  return via !== undefined && via !== caller ? via : destination;
}

/** The kind of a planned pod. */
export function podKind(p: Pick<PodPlan, 'kind'>): 'service' | 'gateway' | 'external' {
  return p.kind ?? 'service';
}

/**
The scenario compressed (or stretched) to a new length: the run, the load and its phases, and every
window of an expectation scale with it; latencies, timeouts and policies do not. Used by tests and
by `--duration` to run a long scenario quickly.
*/
export function rescaleScenario(scenario: Scenario, durationMs: number): Scenario {
  const k = durationMs / scenario.durationMs;
  const scale = (ms: number) => Math.round(ms * k);
  const phases = scenario.load.phases.map((p) => ({ ...p, durationMs: scale(p.durationMs) }));
  // Rounding must not leave the phases a few ms short of (or past) the load.
  const loadMs = scale(scenario.load.durationMs);
  if (phases.length > 0) phases[phases.length - 1].durationMs += loadMs - phases.reduce((a, p) => a + p.durationMs, 0);
  const anchor = (a: Anchor): Anchor => (a.kind === 'time' ? { kind: 'time', ms: scale(a.ms) } : a);
  return {
    ...scenario,
    durationMs,
    load: { ...scenario.load, durationMs: loadMs, phases },
    // Fault times follow the timeline; offsets and deadlines (`from +2s`, `within 2s`) are the
    // mesh's own reaction times and stay as written.
    faults: (scenario.faults ?? []).map((f) => ({
      ...f,
      atMs: scale(f.atMs),
      forMs: f.forMs === null ? null : scale(f.forMs),
      action: f.action.kind === 'process' && f.action.restartAfterMs !== null ? { ...f.action, restartAfterMs: scale(f.action.restartAfterMs) } : f.action,
    })),
    expect: scenario.expect.map((e): AnyExpectation => {
      switch (e.kind) {
        case 'ejected':
        case 'recovered':
          return { ...e, after: anchor(e.after) };
        case 'state':
          return { ...e, at: anchor(e.at) };
        default:
          return e.window.kind === 'between' ? { ...e, window: { kind: 'between', fromMs: scale(e.window.fromMs), toMs: scale(e.window.toMs) } } : e;
      }
    }),
  };
}

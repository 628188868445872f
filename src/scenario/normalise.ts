import { dirname, resolve } from 'node:path';
import { DEFAULT_VERSION, READY_TIMEOUT_DEFAULT } from '../contract/defaults.ts';
import type { ScenarioIssue } from '../errors.ts';
import { parseTemplate, referableVariables, reservedVariable } from './app-contract.ts';
import { INVALID, type SentenceAt, type ShapeCheck } from './check-shape.ts';
import { formatDuration, formatRate } from '../util/format.ts';
import { parseExpectation, type ExpectationTopology } from './expectation-parser.ts';
import { normaliseQuotas, type CheckedQuota, type CheckedRateLimitService } from './normalise-quotas.ts';
import { runsOwnProgram } from './scenario.ts';
import { normaliseFaults, type CheckedFault } from './normalise-faults.ts';
import { normaliseMesh, type CheckedMesh } from './normalise-mesh.ts';
import { normaliseSecurity, type CheckedSecurity, type CheckedServiceSecurity } from './normalise-security.ts';
import { DEFAULT_PROFILE, PROFILES } from '../contract/defaults.ts';
import { normaliseGateways, type CheckedGateway } from './normalise-gateways.ts';
import { atMost, LIMITS } from './limits.ts';
import { RuleContext } from './rule-context.ts';
import { runTooLong, tooManyCalls } from './run-size.ts';
import type { AnyExpectation, Arrivals, ChaosEngine, ExternalSpec, GatewaySpec, InstanceOverride, LatencySpec, LoadPhase, LoadSpec, ReadySpec, Scenario, ServiceSpec } from './scenario.ts';
import type { RateLimit } from '../contract/mesh-policy.ts';
import { gatewayDestinations, instanceNames, instanceSpec, meshNodes } from './scenario.ts';
import { EXTERNAL_REPLICAS_DEFAULT, OUTBOUND_TRAFFIC_POLICY_DEFAULT } from '../contract/defaults.ts';
import type { OutboundTrafficPolicy } from '../contract/gateway-route.ts';
import { childPath, indexPath, type SourceFile } from './source-file.ts';
import { didYouMean } from './suggest.ts';
import { BEHAVIOUR_KEYS } from './shape.ts';
import { parseDuration } from './duration.ts';

// What check-shape produced for the v1 shape. Every field may be missing: either it was invalid
// (an issue says why) or it has no static default. Rules skip what is missing rather than pile a
// second message onto the first.

type Calls = Array<string | undefined> | { sequence?: Array<string | undefined>; parallel?: Array<string | undefined> };

interface CheckedBehaviour {
  latency?: number | { p50?: number; p99?: number };
  errorRate?: number;
  errorStatus?: number;
  concurrency?: number | null;
  queue?: number;
  zone?: string;
  version?: string;
  responseSize?: number;
}

interface CheckedReady {
  tcp?: boolean;
  http?: string;
  log?: string;
  timeout?: number;
}

interface CheckedService extends CheckedBehaviour, CheckedServiceSecurity {
  image?: string;
  command?: string | Array<string | undefined>;
  cwd?: string;
  env?: Map<string, string | number | boolean | undefined>;
  ready?: CheckedReady;
  replicas?: number;
  calls?: Calls;
  zones?: Array<string | undefined>;
  rateLimit?: { requestsPerSecond?: number; burst?: number } | number | null;
  quotas?: Array<CheckedQuota | undefined>;
  bulkheads?: Map<string, number | undefined>;
  instances?: Map<string, CheckedBehaviour | undefined>;
}

interface CheckedExternal extends CheckedBehaviour {
  replicas?: number;
  registered?: boolean;
  instances?: Map<string, CheckedBehaviour | undefined>;
}

interface CheckedLoad {
  target?: string;
  host?: string;
  rate?: number;
  arrivals?: Arrivals;
  connections?: number;
  duration?: number;
  path?: string;
  phases?: Array<{ for?: number; rate?: number } | undefined>;
  plaintext?: boolean;
}

interface CheckedDoc {
  version?: 1;
  name?: string;
  description?: string;
  seed?: number;
  duration?: number;
  services?: Map<string, CheckedService | undefined>;
  gateways?: Map<string, CheckedGateway | undefined>;
  external?: Map<string, CheckedExternal | undefined>;
  mesh?: CheckedMesh;
  load?: CheckedLoad;
  faults?: Array<CheckedFault | undefined>;
  chaos?: { engine?: 'builtin' | 'toxiproxy'; address?: string } | null;
  runtime?: 'local' | 'docker';
  rateLimitService?: CheckedRateLimitService | null;
  expect?: Array<SentenceAt | undefined>;
  security?: CheckedSecurity | null;
}

export interface Normalised {
  scenario: Scenario | null;
  issues: ScenarioIssue[];
  warnings: ScenarioIssue[];
}

/**
Applies the rules that relate fields to each other (names that must exist, cycles, phases that must
add up, fault targets, ...), fills the defaults that depend on other fields (the mesh profile's
among them), and builds the `Scenario`. It is given the shape check's issues so it can return them
with its own; the scenario is null when any issue exists.
*/
export function normalise(checked: ShapeCheck, source: SourceFile): Normalised {
  const ctx = new RuleContext(checked, source);
  const rules = new Rules(ctx);
  const scenario = checked.value === INVALID ? null : rules.run(checked.value as CheckedDoc);
  const issues = [...checked.issues, ...ctx.issues];
  const warnings = [...checked.warnings, ...ctx.warnings];
  return { scenario: issues.length === 0 ? scenario : null, issues, warnings };
}

class Rules {
  readonly #ctx: RuleContext;
  /** Where each service's valid calls were written, by service, so a cycle error points at the call that closes it. */
  readonly #callPaths = new Map<string, string[]>();

  constructor(ctx: RuleContext) {
    this.#ctx = ctx;
  }

  #error(path: string, message: string, atKey = false): void {
    this.#ctx.error(path, message, atKey);
  }

  #warn(path: string, message: string, atKey = false): void {
    this.#ctx.warn(path, message, atKey);
  }

  #given(path: string): boolean {
    return this.#ctx.given(path);
  }

  run(doc: CheckedDoc): Scenario | null {
    // Every name written, even one whose settings are invalid: references to it are fine.
    const names = [...(doc.services ?? new Map()).keys()];
    const externalNames = [...(doc.external ?? new Map()).keys()];
    const gatewayNames = [...(doc.gateways ?? new Map()).keys()];
    this.#nameClashes(names, gatewayNames, externalNames);
    const services = this.#services(doc.services ?? new Map(), { externals: externalNames, gateways: gatewayNames });
    const externals = this.#externals(doc.external ?? new Map());
    const gateways = normaliseGateways(this.#ctx, doc.gateways ?? new Map(), { services: names, externals: externalNames }, (r) => this.#rateLimit(r));
    this.#bulkheads(doc.services ?? new Map(), services, externalNames);
    const rateLimitService = normaliseQuotas(this.#ctx, doc.services ?? new Map(), services, doc.rateLimitService, doc.name);
    const { profile, policies } = normaliseMesh(this.#ctx, doc.mesh ?? new Map(), [...names, ...gatewayNames, ...externalNames], services);
    const outboundTrafficPolicy = (doc.mesh?.get('outboundTrafficPolicy') as OutboundTrafficPolicy | undefined) ?? OUTBOUND_TRAFFIC_POLICY_DEFAULT;
    const load = this.#load(doc, names, gateways, externalNames);
    if (load) load.plaintext = doc.load?.plaintext ?? false;
    const security = normaliseSecurity(this.#ctx, doc.security, doc.services ?? new Map(), services, PROFILES[profile ?? DEFAULT_PROFILE], load && { target: load.target, plaintext: load.plaintext ?? false });
    const nodes = { services, gateways, externals };
    if (load && doc.services) this.#reachability(nodes, load.target);
    if (load) this.#runSize(doc, nodes, load);
    const topology = { ...this.#topology(doc, services, load?.target ?? null, nodes), rateLimitService: rateLimitService !== null };
    const faults = normaliseFaults(this.#ctx, doc.faults ?? [], topology, load?.durationMs ?? null);
    const expect = this.#expectations(doc, { ...topology, faults: faults.times });
    const chaos = this.#chaos(doc.chaos);
    if (this.#ctx.issues.length > 0 || !load || !expect) return null;
    return {
      version: 1,
      name: doc.name!,
      description: doc.description!,
      seed: doc.seed!,
      durationMs: doc.duration!,
      services,
      mesh: policies,
      load,
      profile,
      faults: faults.faults,
      chaos,
      runtime: doc.runtime ?? 'local',
      expect,
      security,
      source: { file: this.#ctx.source.file },
      rateLimitService,
      ...(gateways.length > 0 ? { gateways } : {}),
      ...(externals.length > 0 ? { externals } : {}),
      ...(outboundTrafficPolicy !== OUTBOUND_TRAFFIC_POLICY_DEFAULT || this.#given('mesh.outboundTrafficPolicy') ? { outboundTrafficPolicy } : {}),
    };
  }

  /** Services, gateways and externals share one namespace: calls, targets, scopes and faults name them alike. */
  #nameClashes(services: string[], gateways: string[], externals: string[]): void {
    for (const g of gateways) {
      if (services.includes(g)) this.#error(childPath('gateways', g), `"${g}" is already a service; a gateway needs a name of its own (calls, scopes and faults name them alike)`, true);
    }
    for (const e of externals) {
      if (services.includes(e)) this.#error(childPath('external', e), `"${e}" is already a service; an external service needs a name of its own`, true);
      else if (gateways.includes(e)) this.#error(childPath('external', e), `"${e}" is already a gateway; an external service needs a name of its own`, true);
    }
  }

  /** External services: the built-in service's behaviour behind a name, with no sidecar and no calls. */
  #externals(checked: Map<string, CheckedExternal | undefined>): ExternalSpec[] {
    const out: ExternalSpec[] = [];
    for (const [name, e] of checked) {
      if (e === undefined) continue;
      const path = childPath('external', name);
      const spec: ExternalSpec = {
        name,
        replicas: e.replicas ?? EXTERNAL_REPLICAS_DEFAULT,
        latency: this.#latency(e.latency, childPath(path, 'latency')),
        errorRate: e.errorRate ?? 0,
        errorStatus: e.errorStatus ?? 500,
        concurrency: e.concurrency ?? null,
        queue: e.queue ?? 100,
        calls: [],
        callMode: 'sequence',
        instances: {},
        zone: null,
        version: DEFAULT_VERSION,
        rateLimit: null,
        bulkheads: {},
        responseBytes: e.responseSize ?? 0,
        image: null,
        command: null,
        cwd: null,
        env: {},
        ready: null,
        registered: e.registered ?? true,
      };
      out.push(spec);
      if (this.#given(childPath(path, 'queue')) && e.concurrency === null) {
        this.#warn(childPath(path, 'queue'), 'queue only matters with concurrency (requests queue for a concurrency slot); without concurrency it is ignored', true);
      }
    }
    return out;
  }

  /** `chaos.address` names a real toxiproxy-server, so it only goes with engine toxiproxy. */
  #chaos(c: CheckedDoc['chaos']): ChaosEngine {
    const engine = c?.engine ?? 'builtin';
    if (c?.address !== undefined && engine !== 'toxiproxy') {
      this.#error(
        'chaos.address',
        `address is where a real toxiproxy-server listens, so it goes with engine: toxiproxy; the builtin engine is started by meshproof (remove address, or set engine: toxiproxy)`,
        true,
      );
    }
    return { engine, address: engine === 'toxiproxy' ? (c?.address ?? null) : null };
  }

  // -------------------------------------------------------------------------------------------
  // services

  #services(checked: Map<string, CheckedService | undefined>, others: { externals: string[]; gateways: string[] }): ServiceSpec[] {
    const names = [...checked.keys()];
    const out: ServiceSpec[] = [];
    for (const [name, s] of checked) {
      if (s === undefined) continue;
      const path = childPath('services', name);
      const clash = /^(.*)-(\d+)$/.exec(name);
      const owner = clash ? checked.get(clash[1]) : undefined;
      if (clash && owner && Number(clash[2]) < (owner.replicas ?? 1) && String(Number(clash[2])) === clash[2]) {
        this.#error(path, `service name "${name}" is also the name of an instance of ${clash[1]}; rename one so scopes like p99(${name}) are not ambiguous`, true);
      }
      const { calls, callMode, callPaths } = this.#calls(s.calls, path, names, others);
      const own = this.#ownProgram(name, s, path, calls);
      const spec: ServiceSpec = {
        name,
        replicas: s.replicas ?? 1,
        latency: this.#latency(s.latency, childPath(path, 'latency')),
        errorRate: s.errorRate ?? 0,
        errorStatus: s.errorStatus ?? 500,
        concurrency: s.concurrency ?? null,
        queue: s.queue ?? 100,
        calls,
        callMode,
        instances: this.#instances(name, s, path),
        zone: s.zone ?? null,
        version: s.version ?? DEFAULT_VERSION,
        rateLimit: this.#rateLimit(s.rateLimit),
        bulkheads: {},
        responseBytes: s.responseSize ?? 0,
        image: s.image ?? null,
        ...own,
      };
      this.#zones(spec, s, path);
      out.push(spec);
      this.#callPaths.set(name, callPaths);
      if (this.#given(childPath(path, 'queue')) && s.concurrency === null) {
        this.#warn(childPath(path, 'queue'), 'queue only matters with concurrency (requests queue for a concurrency slot); without concurrency it is ignored', true);
      }
    }
    this.#cycles(out);
    return out;
  }

  /**
  A service that runs its own program (command or image): where it runs, its environment and when
  it is ready. The built-in service's behaviour keys do not apply to it, and the keys of a program
  mean nothing without one: both are errors at the key.
  */
  #ownProgram(name: string, s: CheckedService, path: string, calls: string[]): Pick<ServiceSpec, 'command' | 'cwd' | 'env' | 'ready'> {
    const hasCommand = this.#given(childPath(path, 'command'));
    const hasImage = this.#given(childPath(path, 'image'));
    const runs = hasCommand && hasImage ? 'its own program (command, image)' : hasCommand ? 'its own program (command)' : 'its own image';
    if (hasCommand || hasImage) {
      for (const key of BEHAVIOUR_KEYS) {
        if (this.#given(childPath(path, key))) {
          this.#error(childPath(path, key), `${key} is a setting of the built-in service, and ${name} runs ${runs}: remove it (to make ${name} slow or fail, use a fault: http delay/abort, a toxic, or a process fault)`, true);
        }
      }
      for (const instance of s.instances?.keys() ?? []) {
        for (const key of BEHAVIOUR_KEYS) {
          const p = childPath(childPath(childPath(path, 'instances'), instance), key);
          if (this.#given(p)) this.#error(p, `${key} is a setting of the built-in service, and ${name} runs ${runs}: an instance of it may only change zone and version`, true);
        }
      }
    } else {
      for (const key of ['cwd', 'env', 'ready']) {
        if (this.#given(childPath(path, key))) {
          this.#error(childPath(path, key), `${key} goes with command (or image): ${name} runs the built-in service, which has no program of its own to set it for`, true);
        }
      }
    }
    if (this.#given(childPath(path, 'cwd')) && !hasCommand && hasImage) {
      this.#error(childPath(path, 'cwd'), `cwd is the working folder of command; an image has its own (WORKDIR)`, true);
    }
    const referable = referableVariables(calls);
    const checkTemplate = (value: string, at: string) => {
      const { parts, problem } = parseTemplate(value);
      if (problem) return this.#error(at, problem.message);
      for (const p of parts) {
        if (p.kind === 'ref' && !referable.includes(p.name)) {
          this.#error(at, `unknown reference \${${p.name}}${didYouMean(p.name, referable)} (meshproof fills: ${referable.map((r) => `\${${r}}`).join(', ')}; $$ is a literal $)`);
        }
      }
    };

    let command: string | string[] | null = null;
    if (hasCommand && s.command !== undefined) {
      if (typeof s.command === 'string') command = s.command;
      else if (s.command.every((a): a is string => a !== undefined)) {
        command = s.command;
        command.forEach((arg, i) => checkTemplate(arg, indexPath(childPath(path, 'command'), i)));
      }
    }
    const env: Record<string, string> = {};
    for (const [key, value] of s.env ?? new Map<string, string | number | boolean | undefined>()) {
      const keyPath = childPath(childPath(path, 'env'), key);
      const reserved = reservedVariable(key, calls);
      if (reserved) {
        this.#error(keyPath, `${key} cannot be set in env: ${reserved}`, true);
        continue;
      }
      if (value === undefined) continue;
      env[key] = String(value);
      checkTemplate(env[key], keyPath);
    }
    return {
      command,
      cwd: hasCommand ? resolve(dirname(this.#ctx.source.file), s.cwd === undefined ? '.' : s.cwd) : null,
      env,
      ready: hasCommand || hasImage ? this.#ready(s.ready, childPath(path, 'ready')) : null,
    };
  }

  #ready(r: CheckedReady | undefined, path: string): ReadySpec {
    const timeoutMs = r?.timeout ?? parseDuration(READY_TIMEOUT_DEFAULT);
    const kinds = (['tcp', 'http', 'log'] as const).filter((k) => this.#given(childPath(path, k)));
    if (kinds.length > 1) {
      this.#error(path, `ready takes one kind of check; found ${kinds.join(' and ')} (write one of tcp: true, http: /healthz, log: "<regex>")`, true);
    }
    if (this.#given(childPath(path, 'tcp')) && r?.tcp === false) {
      this.#error(childPath(path, 'tcp'), 'tcp: false would start the load before the program listens; write tcp: true, or another check: http: /healthz or log: "<regex>"');
    }
    if (r?.log !== undefined) {
      try {
        new RegExp(r.log);
      } catch (err) {
        this.#error(childPath(path, 'log'), `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
      }
    }
    if (r?.http !== undefined && kinds[0] === 'http') return { probe: { kind: 'http', path: r.http }, timeoutMs };
    if (r?.log !== undefined && kinds[0] === 'log') return { probe: { kind: 'log', pattern: r.log }, timeoutMs };
    return { probe: { kind: 'tcp' }, timeoutMs };
  }

  #instances(service: string, s: CheckedService, path: string): Record<string, InstanceOverride> {
    const out: Record<string, InstanceOverride> = {};
    const replicas = s.replicas;
    for (const [instance, o] of s.instances ?? new Map<string, CheckedBehaviour | undefined>()) {
      const instancePath = childPath(childPath(path, 'instances'), instance);
      const m = /^(.*)-(\d+)$/.exec(instance)!;
      const index = Number(m[2]);
      if (replicas !== undefined) {
        const names = Array.from({ length: replicas }, (_, i) => `${service}-${i}`).join(', ');
        if (m[1] !== service) {
          this.#error(instancePath, `"${instance}" is not an instance of ${service}; its instances are ${names}`, true);
          continue;
        }
        if (index >= replicas || String(index) !== m[2]) {
          this.#error(instancePath, `${service} has ${replicas} ${replicas === 1 ? 'replica' : 'replicas'} (${names}); there is no ${instance}`, true);
          continue;
        }
      }
      if (o === undefined) continue;
      const override: InstanceOverride = {};
      if (o.latency !== undefined) override.latency = this.#latency(o.latency, childPath(instancePath, 'latency'));
      if (o.errorRate !== undefined) override.errorRate = o.errorRate;
      if (o.errorStatus !== undefined) override.errorStatus = o.errorStatus;
      if (o.concurrency !== undefined) override.concurrency = o.concurrency;
      if (o.queue !== undefined) override.queue = o.queue;
      if (o.zone !== undefined) override.zone = o.zone;
      if (o.version !== undefined) override.version = o.version;
      if (o.responseSize !== undefined) override.responseBytes = o.responseSize;
      if (o.queue !== undefined && (o.concurrency ?? s.concurrency ?? null) === null) {
        this.#warn(childPath(instancePath, 'queue'), 'queue only matters with concurrency (requests queue for a concurrency slot); without concurrency it is ignored', true);
      }
      out[instance] = override;
    }
    return out;
  }

  /** `zones: [a, b]` spreads the replicas over the zones in turn; an instance's own zone wins. */
  #zones(spec: ServiceSpec, s: CheckedService, path: string): void {
    const zonesPath = childPath(path, 'zones');
    if (!this.#given(zonesPath)) return;
    if (this.#given(childPath(path, 'zone'))) {
      this.#error(zonesPath, 'write either zone (every instance in one zone) or zones (the instances spread over them), not both', true);
      return;
    }
    const zones = (s.zones ?? []).filter((z): z is string => z !== undefined);
    if (zones.length === 0) return;
    spec.zone = zones[0];
    instanceNames(spec).forEach((instance, i) => {
      const zone = zones[i % zones.length];
      const own = spec.instances[instance];
      if (own?.zone !== undefined || zone === spec.zone) return;
      spec.instances[instance] = { ...own, zone };
    });
    if (zones.length > spec.replicas) {
      const unused = zones.slice(spec.replicas).join(', ');
      this.#warn(zonesPath, `${spec.name} has ${spec.replicas} ${spec.replicas === 1 ? 'replica' : 'replicas'}, so no instance runs in ${unused}`, true);
    }
  }

  #rateLimit(r: CheckedService['rateLimit']): RateLimit | null {
    if (r === undefined || r === null) return null;
    if (typeof r === 'number') return { requestsPerSecond: r, burst: Math.max(1, Math.ceil(r)) };
    if (r.requestsPerSecond === undefined) return null;
    return { requestsPerSecond: r.requestsPerSecond, burst: r.burst ?? Math.max(1, Math.ceil(r.requestsPerSecond)) };
  }

  /** A bulkhead limits calls to one destination, so it must name a service (or an external) this one calls. */
  #bulkheads(checked: Map<string, CheckedService | undefined>, services: ServiceSpec[], externals: string[] = []): void {
    const names = [...checked.keys(), ...externals];
    for (const spec of services) {
      const path = childPath(childPath('services', spec.name), 'bulkheads');
      for (const [dest, limit] of checked.get(spec.name)?.bulkheads ?? new Map<string, number | undefined>()) {
        const destPath = childPath(path, dest);
        if (!names.includes(dest)) {
          this.#error(destPath, `unknown service "${dest}"${didYouMean(dest, names)} (bulkheads are keyed by called service; ${spec.name} calls: ${spec.calls.join(', ') || 'nothing'})`, true);
        } else if (!spec.calls.includes(dest)) {
          this.#error(destPath, `${spec.name} does not call ${dest}, so a bulkhead toward it limits nothing (${spec.name} calls: ${spec.calls.join(', ') || 'nothing'})`, true);
        } else if (limit !== undefined) {
          spec.bulkheads[dest] = limit;
        }
      }
    }
  }

  #calls(
    calls: Calls | undefined,
    path: string,
    names: string[],
    others: { externals: string[]; gateways: string[] } = { externals: [], gateways: [] },
  ): { calls: string[]; callMode: 'sequence' | 'parallel'; callPaths: string[] } {
    let list: Array<string | undefined> = [];
    let callMode: 'sequence' | 'parallel' = 'sequence';
    let listPath = childPath(path, 'calls');
    if (Array.isArray(calls)) list = calls;
    else if (calls?.parallel) {
      list = calls.parallel;
      callMode = 'parallel';
      listPath = childPath(listPath, 'parallel');
    } else if (calls?.sequence) {
      list = calls.sequence;
      listPath = childPath(listPath, 'sequence');
    }
    const out: string[] = [];
    const callPaths: string[] = [];
    list.forEach((callee, i) => {
      if (callee === undefined) return;
      const itemPath = indexPath(listPath, i);
      const callable = [...names, ...others.externals];
      const known = others.externals.length > 0 ? `services: ${names.join(', ')}; external: ${others.externals.join(', ')}` : `services: ${names.join(', ')}`;
      if (callee === 'client') {
        this.#error(itemPath, `"client" is the load generator, not a service; it cannot be called (services: ${names.join(', ')})`);
      } else if (others.gateways.includes(callee)) {
        this.#error(itemPath, `${callee} is a gateway: a service calls services and external services, and calls to externals leave through the egress gateway by themselves (${known})`);
      } else if (!callable.includes(callee)) {
        this.#error(itemPath, `unknown service "${callee}"${didYouMean(callee, callable)} (${known})`);
      } else {
        out.push(callee);
        callPaths.push(itemPath);
      }
    });
    return { calls: out, callMode, callPaths };
  }

  #latency(latency: CheckedService['latency'], path: string): LatencySpec {
    if (typeof latency === 'number') return { kind: 'fixed', ms: latency };
    if (latency && latency.p50 !== undefined && latency.p99 !== undefined) {
      if (latency.p99 < latency.p50) {
        this.#error(
          childPath(path, 'p99'),
          `p99 (${formatDuration(latency.p99)}) is below p50 (${formatDuration(latency.p50)}); the 99th percentile cannot be faster than the median`,
        );
      }
      return { kind: 'distribution', p50Ms: latency.p50, p99Ms: latency.p99 };
    }
    return { kind: 'fixed', ms: 1 };
  }

  /** A service that calls itself, directly or through others, would recurse on every request. */
  #cycles(services: ServiceSpec[]): void {
    const byName = new Map(services.map((s) => [s.name, s]));
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      state.set(name, 'open');
      stack.push(name);
      const s = byName.get(name)!;
      s.calls.forEach((callee, i) => {
        const path = this.#callPaths.get(name)?.[i] ?? childPath(childPath('services', name), 'calls');
        if (callee === name) {
          this.#error(path, `${name} calls itself; every request would recurse forever`);
        } else if (state.get(callee) === 'open') {
          const cycle = [...stack.slice(stack.indexOf(callee)), callee].join(' -> ');
          this.#error(path, `call cycle ${cycle}; every request would recurse forever`);
        } else if (!state.has(callee) && byName.has(callee)) {
          visit(callee);
        }
      });
      stack.pop();
      state.set(name, 'done');
    };
    for (const s of services) if (!state.has(s.name)) visit(s.name);
  }

  /**
  The limits that relate several fields: instances in all, calls one request makes, per-second
  figures the run keeps. Checked once the topology is otherwise valid (a cycle has no call count).
  */
  #runSize(doc: CheckedDoc, nodes: { services: ServiceSpec[]; gateways: GatewaySpec[]; externals: ExternalSpec[] }, load: LoadSpec): void {
    if (this.#ctx.issues.length > 0 || (doc.services?.size ?? 0) !== nodes.services.length) return;
    const all = meshNodes(nodes);
    const total = all.reduce((a, s) => a + s.replicas, 0);
    if (total > LIMITS.instances.max) {
      const most = [...all].sort((a, b) => b.replicas - a.replicas).slice(0, 3).map((s) => `${s.name} ${s.replicas}`);
      this.#error('services', `found ${total} instances in all (most in ${most.join(', ')}); ${atMost(LIMITS.instances)}`, true);
      return;
    }
    const topology = { services: all, loadTarget: load.target };
    const calls = tooManyCalls(topology);
    if (calls) this.#error('load.target', calls);
    if (doc.duration === undefined) return;
    const tooLong = runTooLong(topology, doc.duration);
    if (tooLong) this.#error('duration', tooLong);
  }

  /** Services (gateways, externals) the load never reaches are probably a mistake in calls, routes or load.target. */
  #reachability(nodes: { services: ServiceSpec[]; gateways: GatewaySpec[]; externals: ExternalSpec[] }, target: string): void {
    if (this.#ctx.issues.length > 0) return;
    const byName = new Map(meshNodes(nodes).map((s) => [s.name, s]));
    const seen = new Set<string>();
    const queue = [target];
    while (queue.length) {
      const n = queue.shift()!;
      if (seen.has(n)) continue;
      seen.add(n);
      queue.push(...(byName.get(n)?.calls ?? []));
    }
    for (const s of nodes.services) {
      if (!seen.has(s.name)) {
        this.#warn(childPath('services', s.name), `${s.name} receives no traffic: nothing on the path from load.target ${target} calls it`, true);
      }
    }
    for (const e of nodes.externals) {
      if (!seen.has(e.name)) this.#warn(childPath('external', e.name), `${e.name} receives no traffic: no service on the path from load.target ${target} calls it`, true);
    }
    const egressUsed = nodes.externals.some((e) => e.registered && seen.has(e.name));
    for (const g of nodes.gateways) {
      if (g.kind === 'ingress' && !seen.has(g.name)) {
        this.#warn(childPath('gateways', g.name), `${g.name} receives no traffic: the load enters through ${target} (set load.target: ${g.name} to send it through the gateway)`, true);
      } else if (g.kind === 'egress' && !egressUsed) {
        this.#warn(childPath('gateways', g.name), `${g.name} receives no traffic: no service on the path from load.target ${target} calls a registered external service`, true);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // load

  #load(doc: CheckedDoc, names: string[], gateways: GatewaySpec[] = [], externals: string[] = []): LoadSpec | null {
    const l = doc.load;
    if (!l) return null;
    let ok = true;
    const ingress = gateways.filter((g) => g.kind === 'ingress').map((g) => g.name);
    const targets = [...names, ...ingress];
    const valid = `services: ${names.join(', ')}${ingress.length > 0 ? `; ingress gateways: ${ingress.join(', ')}` : ''}`;
    if (l.target !== undefined && externals.includes(l.target)) {
      this.#error('load.target', `${l.target} is an external service, outside the mesh: the load enters through a service or an ingress gateway (${valid})`);
      ok = false;
    } else if (l.target !== undefined && gateways.some((g) => g.name === l.target && g.kind === 'egress')) {
      this.#error('load.target', `${l.target} is the egress gateway, where calls leave the mesh: the load enters through a service or an ingress gateway (${valid})`);
      ok = false;
    } else if (l.target !== undefined && names.length > 0 && !targets.includes(l.target) && !(doc.gateways?.has(l.target) ?? false)) {
      this.#error('load.target', `unknown service "${l.target}"${didYouMean(l.target, targets)} (${valid})`);
      ok = false;
    }
    let durationMs = doc.duration;
    if (this.#given('load.duration')) {
      durationMs = l.duration;
      if (l.duration !== undefined && doc.duration !== undefined && l.duration > doc.duration) {
        this.#error(
          'load.duration',
          `the load lasts ${formatDuration(l.duration)} but the scenario lasts ${formatDuration(doc.duration)}; load.duration must be at most the scenario's duration`,
        );
        ok = false;
      }
    }
    const phases: LoadPhase[] = [];
    const phasesGiven = this.#given('load.phases');
    if (phasesGiven) {
      const complete = l.phases !== undefined && l.phases.every((p) => p?.for !== undefined && p.rate !== undefined);
      if (!complete) ok = false;
      else for (const p of l.phases!) phases.push({ durationMs: p!.for!, rate: p!.rate! });
      const sum = phases.reduce((a, p) => a + p.durationMs, 0);
      if (complete && durationMs !== undefined && Math.abs(sum - durationMs) > 1e-6) {
        const whose = this.#given('load.duration') ? 'load.duration' : "the scenario's duration; load.duration is not set";
        this.#error(
          'load.phases',
          `the phases add up to ${formatDuration(sum)} but the load lasts ${formatDuration(durationMs)} (${whose}); make them equal`,
        );
        ok = false;
      }
      if (this.#given('load.rate') && l.rate !== undefined) {
        this.#warn('load.rate', `load.rate (${formatRate(l.rate)}) is ignored because phases are given; the phases set the rate`, true);
      }
    } else if (!this.#given('load.rate')) {
      // No rate: closed loop, as many requests in flight as connections, which must then be said.
      if (!this.#given('load.connections')) {
        this.#error(
          'load',
          'missing required key "rate": the request rate, such as 200/s (or give phases; or give only connections, such as connections: 20, for closed-loop load as fast as the mesh answers)',
        );
        ok = false;
      } else if (this.#given('load.arrivals')) {
        this.#error('load.arrivals', 'arrivals spreads the requests of an open-loop load, but this load has no rate: it is closed loop (each request is sent as the previous one is answered); give a rate or remove arrivals');
        ok = false;
      }
    }
    const closed = !phasesGiven && !this.#given('load.rate');
    const rate = closed ? null : phasesGiven ? phases[0]?.rate : l.rate;
    if (!ok || l.target === undefined || rate === undefined || durationMs === undefined || l.path === undefined || l.arrivals === undefined) return null;
    if (this.#given('load.connections') && l.connections === undefined) return null;
    if (closed) return { target: l.target, model: 'closed', rate: null, arrivals: l.arrivals, connections: l.connections!, durationMs, phases, path: l.path };
    const highest = Math.max(rate!, ...phases.map((p) => p.rate));
    return {
      target: l.target,
      model: 'open',
      rate,
      arrivals: l.arrivals,
      connections: l.connections ?? Math.max(10, Math.ceil(highest / 10)),
      durationMs,
      phases,
      path: l.path,
      ...(l.host !== undefined ? { host: l.host } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // expect

  /** What faults and expectations check names against; partial when parts of the file are invalid. */
  #topology(doc: CheckedDoc, services: ServiceSpec[], target: string | null, nodes: { gateways: GatewaySpec[]; externals: ExternalSpec[] }): ExpectationTopology {
    const checkedServices = doc.services ?? new Map<string, CheckedService | undefined>();
    const specs = new Map(services.map((s) => [s.name, s]));
    const registered = nodes.externals.filter((e) => e.registered).map((e) => e.name);
    const gateways = [...(doc.gateways ?? new Map<string, CheckedGateway | undefined>())].map(([name, g]) => {
      const spec = nodes.gateways.find((x) => x.name === name);
      return {
        name,
        kind: 'gateway' as const,
        replicas: spec?.replicas ?? null,
        calls: spec ? (spec.kind === 'egress' ? registered : gatewayDestinations(spec)) : null,
      };
    });
    const externals = [...(doc.external ?? new Map<string, CheckedExternal | undefined>())].map(([name]) => ({
      name,
      kind: 'external' as const,
      replicas: nodes.externals.find((x) => x.name === name)?.replicas ?? null,
      calls: [] as string[],
    }));
    return {
      services: checkedServices.size === 0 ? null : [
        ...[...checkedServices.keys()].map((name) => {
          const replicasGiven = this.#given(childPath(childPath('services', name), 'replicas'));
          const spec = specs.get(name);
          return {
            name,
            replicas: checkedServices.get(name)?.replicas ?? (replicasGiven || !spec ? null : 1),
            calls: spec?.calls ?? null,
            versions: spec ? [...new Set(instanceNames(spec).map((i) => instanceSpec(spec, i).version))] : null,
            ownProgram: spec ? runsOwnProgram(spec) : null,
          };
        }),
        ...gateways,
        ...externals,
      ],
      loadTarget: target ?? (doc.load?.target !== undefined && services.some((s) => s.name === doc.load?.target) ? doc.load.target : null),
      durationMs: doc.duration ?? null,
      faults: null,
    };
  }

  #expectations(doc: CheckedDoc, topology: ExpectationTopology): AnyExpectation[] | null {
    const sentences = doc.expect ?? [];
    if (sentences.length === 0 && !this.#ctx.checked.issues.some((i) => i.path === 'expect')) {
      this.#warn('expect', 'nothing will be checked: expect is empty; add a sentence such as success_rate(client) >= 99.5%', true);
    }
    const out: AnyExpectation[] = [];
    let ok = true;
    sentences.forEach((sentence, i) => {
      if (sentence === undefined) {
        ok = false;
        return;
      }
      const { line, col } = this.#ctx.source.position(sentence.offset);
      const parsed = parseExpectation(sentence.text, topology, { file: this.#ctx.source.file, path: indexPath('expect', i), line, col });
      this.#ctx.issues.push(...parsed.issues);
      if (parsed.expectation) out.push(parsed.expectation);
      else ok = false;
    });
    return ok ? out : null;
  }
}

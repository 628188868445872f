import { formatDuration } from '../util/format.ts';
import type { ExpectationTopology } from './expectation-parser.ts';
import { formatLimit, LIMITS } from './limits.ts';
import type { RuleContext } from './rule-context.ts';
import type { Fault, FaultAction, FaultTarget } from './scenario.ts';
import type { HttpFault } from '../contract/mesh-policy.ts';
import type { MtlsMode } from '../contract/security-policy.ts';
import { TOXICS } from './shape.ts';
import { childPath, indexPath } from './source-file.ts';
import { NameResolver } from './name-resolver.ts';
import { didYouMean } from './suggest.ts';
import { RATE_LIMIT_SERVICE_INSTANCE } from '../contract/rate-limit-service.ts';

// What check-shape produced for one item of `faults`; every field may be missing (invalid, or not written).

export interface CheckedFault {
  name?: string;
  at?: number;
  for?: number;
  target?: string;
  http?: { abort?: number | { status?: number; percent?: number }; delay?: number | { fixed?: number; percent?: number }; percent?: number; at?: 'inbound' | 'outbound' };
  process?: 'kill' | 'pause' | 'restart';
  restartAfter?: number;
  toxic?: { type?: string; stream?: 'upstream' | 'downstream'; toxicity?: number } & Record<string, unknown>;
  partition?: Array<Array<string | undefined> | undefined>;
  security?: { mtls?: MtlsMode };
  certExpire?: boolean;
  rootRotation?: { overlap?: boolean };
  clockSkew?: { ahead?: number; behind?: number };
}

/** A fault as expectations see it: when it is planned to start and end. */
export type FaultTimes = NonNullable<ExpectationTopology['faults']>[number];

export interface NormalisedFaults {
  faults: Fault[];
  /** Every fault the file names, for expectations; null when one of them is too broken to know its name or times. */
  times: FaultTimes[] | null;
}

type Services = NonNullable<ExpectationTopology['services']>;

/**
Checks the fault schedule against the topology and the run, and builds `Fault`s: names unique, each
within the run, targets that exist and suit the kind (a process fault hits one instance, an http
fault at the outbound a destination service), toxics with their own attributes, partitions of two
disjoint groups.
*/
export function normaliseFaults(
  ctx: RuleContext,
  checked: Array<CheckedFault | undefined>,
  topology: Pick<ExpectationTopology, 'services' | 'loadTarget' | 'durationMs'> & { rateLimitService?: boolean },
  loadDurationMs: number | null,
): NormalisedFaults {
  const rules = new FaultRules(ctx, topology, loadDurationMs);
  const faults: Fault[] = [];
  const times: FaultTimes[] = [];
  let known = true;
  const firstUse = new Map<string, string>();
  checked.forEach((f, i) => {
    const path = indexPath('faults', i);
    if (!f || f.name === undefined || f.at === undefined) {
      known = false;
      return;
    }
    const first = firstUse.get(f.name);
    if (first !== undefined) {
      ctx.error(childPath(path, 'name'), `duplicate fault name "${f.name}" (already used on line ${ctx.line(first)}); each fault needs its own name, since windows refer to it`);
      return;
    }
    firstUse.set(f.name, childPath(path, 'name'));
    const fault = rules.fault(f, path);
    if (fault) {
      faults.push(fault);
      times.push({ name: fault.name, atMs: fault.atMs, endMs: fault.forMs === null ? null : fault.atMs + fault.forMs, kind: fault.action.kind });
    } else {
      known = false;
    }
  });
  return { faults, times: known ? times : null };
}

class FaultRules {
  readonly #ctx: RuleContext;
  readonly #services: Services | null;
  readonly #loadTarget: string | null;
  readonly #durationMs: number | null;
  readonly #loadDurationMs: number | null;
  /** The scenario starts a rate-limit service (a service has quotas): `ratelimit` may be a process fault's target. */
  readonly #rateLimitService: boolean;

  constructor(ctx: RuleContext, topology: Pick<ExpectationTopology, 'services' | 'loadTarget' | 'durationMs'> & { rateLimitService?: boolean }, loadDurationMs: number | null) {
    this.#ctx = ctx;
    this.#rateLimitService = topology.rateLimitService ?? false;
    this.#services = topology.services;
    this.#loadTarget = topology.loadTarget;
    this.#durationMs = topology.durationMs;
    this.#loadDurationMs = loadDurationMs;
  }

  fault(f: CheckedFault, path: string): Fault | null {
    const ctx = this.#ctx;
    const at = (key: string) => childPath(path, key);
    const issuesBefore = ctx.issues.length;
    const name = f.name!;
    const atMs = f.at!;
    this.#withinRun(name, atMs, at('at'));

    let target: FaultTarget | null = null;
    const partition = f.partition !== undefined || ctx.given(at('partition'));
    const rotation = f.rootRotation !== undefined || ctx.given(at('rootRotation'));
    const meshWide = (f.security !== undefined || ctx.given(at('security'))) && f.target === undefined && !ctx.given(at('target'));
    if (partition) {
      if (f.target !== undefined) ctx.error(at('target'), 'a partition cuts the links between its two groups, so it takes no target; remove target', true);
    } else if (rotation) {
      if (f.target !== undefined) ctx.error(at('target'), 'a root rotation changes the CA every workload trusts, so it takes no target; remove target', true);
      target = { kind: 'mesh' };
    } else if (meshWide) {
      target = { kind: 'mesh' };
    } else if (f.target === undefined) {
      if (ctx.given(at('target'))) return null;
      ctx.error(path, 'missing required key "target": what the fault hits, an instance (payments-1), a service (payments) or an edge (checkout -> payments)');
    } else {
      target = this.#target(f.target, at('target'));
    }

    if (f.restartAfter !== undefined && f.process !== 'kill') {
      ctx.error(at('restartAfter'), `restartAfter only goes with process: kill (the instance is started again that long after it was killed)`, true);
    }

    let forMs = f.for ?? null;
    let endKey = 'for';
    let action: FaultAction | null = null;
    if (f.http !== undefined) action = this.#http(f.http, target, at('http'), at('target'));
    else if (f.process !== undefined) {
      action = { kind: 'process', action: f.process, restartAfterMs: f.process === 'kill' ? (f.restartAfter ?? null) : null };
      if (target && target.kind !== 'instance') this.#needsInstance(target, at('target'));
      if (f.process === 'kill') {
        if (f.for !== undefined) {
          ctx.error(at('for'), `a kill lasts until restartAfter brings the instance back; write restartAfter: ${formatDuration(f.for)} instead of for (without it, the instance stays dead)`, true);
        }
        forMs = f.restartAfter ?? null;
        endKey = 'restartAfter';
      } else if (f.process === 'restart') {
        if (f.for !== undefined) ctx.error(at('for'), 'a restart is instant (the instance is killed and started again at once); remove for, or use process: pause for a window', true);
        forMs = 0;
      }
    } else if (f.security !== undefined) {
      if (f.security.mtls !== undefined) action = { kind: 'security', mtls: f.security.mtls };
      if (target && target.kind !== 'service' && target.kind !== 'mesh') {
        ctx.error(at('target'), `a mode is PeerAuthentication, set per service (or mesh-wide without a target); target ${target.kind === 'edge' ? target.to : target.service}`, true);
      }
    } else if (f.certExpire !== undefined) {
      if (f.certExpire !== true) ctx.error(at('certExpire'), 'write certExpire: true (or leave the fault out)');
      else action = { kind: 'cert-expire' };
      if (target && target.kind !== 'instance') this.#needsOne(target, at('target'), 'a certificate belongs to one instance');
    } else if (f.rootRotation !== undefined) {
      action = { kind: 'root-rotation', overlap: f.rootRotation.overlap ?? true };
      if (f.for === undefined) {
        ctx.error(path, `missing required key "for": how long the rotation takes (certificates are reissued under the new root over it${action.overlap ? ', and the old root is dropped at its end' : ''}), such as for: 4s`);
        action = null;
      }
    } else if (f.clockSkew !== undefined) {
      const offset = f.clockSkew.ahead !== undefined ? f.clockSkew.ahead : f.clockSkew.behind !== undefined ? -f.clockSkew.behind : undefined;
      if (offset !== undefined) action = { kind: 'clock-skew', offsetMs: offset };
      if (target && target.kind !== 'instance') this.#needsOne(target, at('target'), 'a clock belongs to one instance');
    } else if (f.toxic !== undefined) action = this.#toxic(f.toxic, at('toxic'));
    else if (f.partition !== undefined) {
      const groups = this.#partition(f.partition, at('partition'));
      if (groups) {
        action = { kind: 'partition', groups };
        target = this.#partitionTarget(groups[0][0]);
      }
    }

    if (target?.kind === 'instance' && target.instance === RATE_LIMIT_SERVICE_INSTANCE && action && action.kind !== 'process') {
      ctx.error(at('target'), `${RATE_LIMIT_SERVICE_INSTANCE} is the rate-limit service, a process of its own without a sidecar: it takes process faults (kill, pause, restart) only`);
    }
    if (forMs !== null && forMs > 0) this.#endWithinRun(name, atMs, forMs, at(endKey), endKey);
    if (action && target && ctx.issues.length === issuesBefore) this.#edges(target, action, f.http?.at !== undefined ? at('http') : at('target'));
    if (ctx.issues.length > issuesBefore || !action || !target) return null;
    const { line, col } = ctx.source.position(ctx.offset(path));
    return { name, atMs, forMs, target, action, line, col };
  }

  #withinRun(name: string, atMs: number, path: string): void {
    const run = this.#durationMs;
    if (run !== null && atMs >= run) {
      this.#ctx.error(path, `${name} starts at ${formatDuration(atMs)}, when the run is over (duration ${formatDuration(run)}); at must be before the end`);
    } else if (this.#loadDurationMs !== null && atMs >= this.#loadDurationMs) {
      this.#ctx.warn(path, `${name} starts at ${formatDuration(atMs)}, after the load stops (load.duration ${formatDuration(this.#loadDurationMs)}); nothing will see it`);
    }
  }

  #endWithinRun(name: string, atMs: number, forMs: number, path: string, key: string): void {
    const run = this.#durationMs;
    if (run === null || atMs >= run || atMs + forMs <= run) return;
    this.#ctx.error(
      path,
      `${name} would end at ${formatDuration(atMs + forMs)} (at ${formatDuration(atMs)} + ${key} ${formatDuration(forMs)}), after the run ends (duration ${formatDuration(run)}); shorten it, or leave out ${key === 'for' ? 'for to last until the end' : 'restartAfter to keep it dead'}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Targets

  /** Names resolved against the topology, problems reported at `path`. */
  #names(path: string): NameResolver {
    return new NameResolver({ services: this.#services, loadTarget: this.#loadTarget }, (_part, message) => this.#ctx.error(path, message));
  }

  #unknown(name: string, path: string, what: string): void {
    const names = this.#names(path);
    const candidates = [...names.serviceNames(), ...names.instanceNames()];
    this.#ctx.error(path, `unknown ${what} "${name}"${didYouMean(name, candidates)} (services: ${names.serviceNames().join(', ')}; instances are named like ${names.instanceNames()[0] ?? 'front-0'})`);
  }

  #target(text: string, path: string): FaultTarget | null {
    if (this.#services === null) return null;
    const parts = text.split('->').map((p) => p.trim());
    if (parts.length > 2 || parts.some((p) => p === '')) {
      this.#ctx.error(path, `found ${JSON.stringify(text)}; expected an instance (payments-1), a service (payments) or an edge such as ${this.#exampleEdge()}`);
      return null;
    }
    const names = this.#names(path);
    if (parts.length === 1) {
      const [name] = parts;
      if (name === 'client') {
        this.#ctx.error(path, `client is the load generator; to hit what it sends, target the edge client -> ${this.#loadTarget ?? '<load target>'}`);
        return null;
      }
      if (name === RATE_LIMIT_SERVICE_INSTANCE && !names.service(name)) {
        if (this.#rateLimitService) return { kind: 'instance', service: RATE_LIMIT_SERVICE_INSTANCE, instance: RATE_LIMIT_SERVICE_INSTANCE };
        this.#ctx.error(path, `${name} is the rate-limit service, which this scenario does not start: no service has quotas (services.<name>.quotas)`);
        return null;
      }
      const n = names.named(name);
      if (n === undefined) this.#unknown(name, path, 'target');
      if (!n) return null;
      return n.instance === undefined ? { kind: 'service', service: n.service } : { kind: 'instance', service: n.service, instance: n.instance };
    }
    const edge = names.edge(parts[0], parts[1], () => 'a fault on an edge hits every sidecar of the caller');
    return edge && { kind: 'edge', ...edge };
  }

  #exampleEdge(): string {
    const caller = (this.#services ?? []).find((s) => s.calls && s.calls.length > 0);
    if (caller?.calls) return `${caller.name} -> ${caller.calls[0]}`;
    return this.#loadTarget ? `client -> ${this.#loadTarget}` : 'checkout -> payments';
  }

  /** A fault that concerns one instance (its certificate, its clock) given a wider target. */
  #needsOne(target: FaultTarget, path: string, why: string): void {
    if (target.kind === 'mesh') return;
    const service = target.kind === 'edge' ? target.to : target.service;
    const spec = this.#services?.find((s) => s.name === service);
    const names = spec?.replicas ? Array.from({ length: spec.replicas }, (_, i) => `${spec.name}-${i}`) : [];
    this.#ctx.error(path, `${why}, so this fault targets one instance${names.length ? ` (${service} has ${names.join(', ')})` : ''}; write target: ${names[0] ?? `${service}-0`}`);
  }

  #needsInstance(target: FaultTarget, path: string): void {
    if (target.kind === 'mesh') return;
    const service = target.kind === 'service' ? target.service : target.kind === 'edge' ? (target.toInstance ?? target.to) : target.service;
    const spec = this.#services?.find((s) => s.name === (target.kind === 'edge' ? target.to : service));
    const names = spec?.replicas ? Array.from({ length: spec.replicas }, (_, i) => `${spec.name}-${i}`) : [];
    const example = target.kind === 'edge' && target.toInstance ? target.toInstance : names[0];
    const list = names.length ? ` (${spec!.name} has ${names.join(', ')})` : '';
    this.#ctx.error(path, `a process fault stops one process, so it targets one instance${list}; write target: ${example ?? '<service>-0'}`);
  }

  // -------------------------------------------------------------------------------------------
  // Kinds

  #http(h: NonNullable<CheckedFault['http']>, target: FaultTarget | null, path: string, targetPath: string): FaultAction | null {
    const percent = h.percent ?? 1;
    const abort = h.abort === undefined ? null : typeof h.abort === 'number' ? { status: h.abort, percent } : h.abort.status === undefined ? undefined : { status: h.abort.status, percent: h.abort.percent ?? percent };
    const delay = h.delay === undefined ? null : typeof h.delay === 'number' ? { ms: h.delay, percent } : h.delay.fixed === undefined ? undefined : { ms: h.delay.fixed, percent: h.delay.percent ?? percent };
    if (abort === undefined || delay === undefined) return null;
    const fault: HttpFault = { abort, delay };
    if (!target) return null;
    const at = h.at ?? (target.kind === 'edge' ? 'outbound' : 'inbound');
    const where = this.#ctx.given(childPath(path, 'at')) ? childPath(path, 'at') : targetPath;
    if (at === 'outbound' && target.kind === 'instance') {
      this.#ctx.error(
        where,
        `an http fault at the outbound is applied by the callers' sidecars to a destination service, as an Istio VirtualService fault is; target ${target.service} (or an edge such as ${this.#callerOf(target.service)} -> ${target.service}), or leave at: inbound to hit ${target.instance} alone`,
      );
      return null;
    }
    if (at === 'outbound' && target.kind === 'edge' && target.toInstance !== undefined) {
      this.#ctx.error(
        where,
        `an http fault at the outbound is applied by the callers' sidecars to a destination service, as an Istio VirtualService fault is; target ${target.from} -> ${target.to}, or target: ${target.toInstance} to inject it at that instance's inbound`,
      );
      return null;
    }
    if (at === 'inbound' && target.kind === 'edge') {
      this.#ctx.error(
        where,
        `an http fault at the inbound hits everything the instance receives, whoever sends it; target ${target.toInstance ?? target.to}, or use at: outbound to hit only what ${target.from} sends`,
      );
      return null;
    }
    return { kind: 'http', at, fault };
  }

  /**
  What the edges of the mesh allow: an external service has no sidecar to inject an http fault in
  at its inbound; and a wire fault on a caller's calls to a registered external, when they leave
  through the egress gateway, belongs on the wire they take out of it.
  */
  #edges(target: FaultTarget, action: FaultAction, path: string): void {
    if (target.kind === 'mesh') return;
    const kindOf = (name: string) => this.#services?.find((s) => s.name === name)?.kind;
    const to = target.kind === 'edge' ? target.to : target.service;
    if (action.kind === 'http' && action.at === 'inbound' && kindOf(to) === 'external') {
      const caller = this.#callerOf(to);
      this.#ctx.error(path, `${to} is an external service: it has no sidecar to inject a fault at its inbound; put it at the callers' outbound (target: ${caller} -> ${to}), or use a toxic on the wire into it`);
      return;
    }
    if ((action.kind === 'toxic' || action.kind === 'partition') && target.kind === 'edge' && kindOf(to) === 'external') {
      const egress = this.#services?.find((s) => s.kind === 'gateway' && s.name !== target.from && s.calls?.includes(to));
      if (egress) {
        this.#ctx.error(
          path,
          `calls from ${target.from} to ${to} leave through the egress gateway ${egress.name}, so there is no wire from ${target.from} to ${to}: put the fault on ${egress.name} -> ${to} (where every call to it passes), or on ${target.from} -> ${egress.name}`,
        );
      }
    }
  }

  #callerOf(service: string): string {
    const caller = (this.#services ?? []).find((s) => s.calls?.includes(service));
    return caller ? caller.name : service === this.#loadTarget ? 'client' : '<caller>';
  }

  #toxic(t: NonNullable<CheckedFault['toxic']>, path: string): FaultAction | null {
    const type = t.type;
    if (type === undefined) return null;
    const spec = TOXICS[type];
    const allowed = Object.keys(spec.attributes);
    const attributes: Record<string, number> = {};
    let ok = true;
    for (const [key, value] of Object.entries(t)) {
      if (key === 'type' || key === 'stream' || key === 'toxicity') continue;
      if (!Object.hasOwn(spec.attributes, key)) {
        const takes = allowed.length ? `a ${type} toxic takes ${allowed.join(', ')}` : `down takes no attributes: the link is simply disabled`;
        this.#ctx.error(childPath(path, key), `"${key}" is not an attribute of ${type}${didYouMean(key, allowed)}; ${takes}`, true);
        ok = false;
      } else if (typeof value === 'number') {
        const over = timeOver(value, spec.attributes[key].unit);
        if (over) {
          this.#ctx.error(childPath(path, key), over);
          ok = false;
        } else attributes[key] = value;
      }
    }
    if (type === 'down') {
      for (const key of ['stream', 'toxicity']) {
        if (this.#ctx.given(childPath(path, key))) {
          this.#ctx.error(childPath(path, key), `down is not a toxic but the link disabled (Toxiproxy enabled=false), for every connection both ways; remove ${key}`, true);
          ok = false;
        }
      }
    }
    for (const [name, a] of Object.entries(spec.attributes)) {
      if (attributes[name] !== undefined || this.#ctx.given(childPath(path, name))) continue;
      if (a.default !== undefined) attributes[name] = a.default;
      else {
        this.#ctx.error(path, `a ${type} toxic needs ${name} (${a.unit}, a number as Toxiproxy takes it), e.g. toxic: { type: ${type}, ${name}: ${EXAMPLE[name] ?? 100} }`);
        ok = false;
      }
    }
    if (type === 'slicer' && attributes.size_variation !== undefined && attributes.average_size !== undefined && attributes.size_variation >= attributes.average_size && attributes.average_size > 0) {
      this.#ctx.warn(childPath(path, 'size_variation'), `size_variation (${attributes.size_variation}) is not smaller than average_size (${attributes.average_size}); Toxiproxy advises keeping it smaller`, true);
    }
    if (!ok) return null;
    return { kind: 'toxic', toxic: { type, stream: t.stream ?? 'downstream', toxicity: type === 'down' ? 1 : (t.toxicity ?? 1), attributes } };
  }

  #partition(groups: NonNullable<CheckedFault['partition']>, path: string): [string[], string[]] | null {
    if (groups.length !== 2 || groups.some((g) => g === undefined)) return null;
    const expanded: Array<Map<string, string>> = [];
    let ok = true;
    groups.forEach((g, gi) => {
      const members = new Map<string, string>();
      g!.forEach((name, ni) => {
        if (name === undefined) {
          ok = false;
          return;
        }
        const itemPath = indexPath(indexPath(path, gi), ni);
        if (name === 'client') {
          this.#ctx.error(itemPath, 'client is the load generator, not an instance; partition instances or services (to cut the load off, use a toxic of type down on client -> <load target>)');
          ok = false;
          return;
        }
        if (this.#services === null) return;
        const n = this.#names(itemPath).named(name);
        if (n === undefined) this.#unknown(name, itemPath, 'instance or service');
        if (!n) {
          ok = false;
          return;
        }
        const spec = this.#services.find((s) => s.name === n.service)!;
        const instances = n.instance !== undefined ? [n.instance] : Array.from({ length: spec.replicas ?? 0 }, (_, i) => `${spec.name}-${i}`);
        for (const i of instances) if (!members.has(i)) members.set(i, name);
      });
      expanded.push(members);
    });
    if (ok && this.#services !== null) {
      for (const [instance, asA] of expanded[0]) {
        const asB = expanded[1].get(instance);
        if (asB === undefined) continue;
        const side = (as: string, which: string) => (as === instance ? `named in the ${which}` : `through ${as} in the ${which}`);
        this.#ctx.error(path, `${instance} is in both groups (${side(asA, 'first')}, ${side(asB, 'second')}); the two sides of a partition must not overlap`);
        ok = false;
        break;
      }
    }
    return ok ? [groups[0]!.map((n) => n!), groups[1]!.map((n) => n!)] : null;
  }

  /**
  `Fault.target` has no form for a partition (its groups say what it hits); the first member of the
  first group stands in, so readers that show a target show something true.
  */
  #partitionTarget(name: string | undefined): FaultTarget | null {
    if (name === undefined) return null;
    const m = /^(.*)-(\d+)$/.exec(name);
    if (this.#services?.some((s) => s.name === name) || !m) return { kind: 'service', service: name };
    return { kind: 'instance', service: m[1], instance: name };
  }
}

const EXAMPLE: Record<string, number> = { latency: 300, rate: 100, delay: 1000, average_size: 64, bytes: 1024 };

/**
A toxic's time in its own unit (ms, or µs for the slicer's delay) past the longest duration a
scenario may have; the message says it in that unit. Which unit applies is known only with the
toxic's type (slow_close's delay is in ms), so it is checked here rather than by the shape.
*/
function timeOver(value: number, unit: string): string | null {
  const perMs = unit === 'ms' ? 1 : unit === 'µs' ? 1000 : 0;
  if (perMs === 0 || value <= LIMITS.duration.max * perMs) return null;
  return `found ${value} (${unit}); at most ${LIMITS.duration.max * perMs} (${formatLimit(LIMITS.duration)}): ${LIMITS.duration.why}`;
}

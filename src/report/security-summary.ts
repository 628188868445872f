import { spiffeId } from '../contract/spiffe.ts';
import { seriesKey, type Bucket } from '../contract/series.ts';
import type { AuthorizationPolicy, MtlsMode } from '../contract/security-policy.ts';
import { instanceNames } from '../scenario/scenario.ts';
import type { RunResult } from './run-result.ts';

/** What the security section of a report says: who each service was, what it accepted, what happened on each edge. */
export interface SecuritySummary {
  trustDomain: string;
  certTtlMs: number;
  /** The mesh-wide PeerAuthentication. */
  meshMode: MtlsMode;
  /** Where the root came from: files the user gave, or made for the run. */
  root: { certFile: string } | null;
  services: {
    service: string;
    spiffeId: string;
    /** The mode it ran with (its own, else the mesh's), and whether it was its own. */
    mode: MtlsMode;
    ownMode: boolean;
    policies: AuthorizationPolicy[];
    /** At its inbound over the run. */
    requests: number;
    mtls: number;
    denied: number;
    handshakeErrors: number;
  }[];
  edges: { from: string; to: string; requests: number; mtls: number; denied: number; handshakeErrors: number }[];
  /** Certificates issued and renewed, from the sidecars' events. */
  certificates: { issued: number; rotated: number; roots: string[] };
  /** Requests refused, by deciding policy and caller, from the callees' events. */
  denials: { instance: string; policy: string; source: string | null; count: number }[];
  /** Failed handshakes, by where, kind and reason. */
  handshakeFailures: { instance: string; toward: string | null; kind: string; reason: string; count: number }[];
  /** The load was an outside client (plaintext, no identity). */
  plaintextLoad: boolean;
}

function sum(buckets: readonly Bucket[] | undefined, pick: (b: Bucket) => number | undefined): number {
  let n = 0;
  for (const b of buckets ?? []) n += pick(b) ?? 0;
  return n;
}

/**
The security of a run, from its result: the scenario's settings and each service's effective mode
and policies, the timeline's counts of mTLS requests, denials and failed handshakes per service and
edge, and the sidecars' events (certificates, who was denied by which policy, why handshakes
failed). Null for a result without security (written before it existed).
*/
export function securitySummary(result: RunResult): SecuritySummary | null {
  const { scenario, timeline } = result;
  const sec = scenario.security;
  if (!sec) return null;
  const series = timeline.series;
  const services = scenario.services.map((s) => {
    const keys = instanceNames(s).map(seriesKey.instance);
    const buckets = keys.flatMap((k) => series[k] ?? []);
    return {
      service: s.name,
      spiffeId: spiffeId(sec.trustDomain, s.name),
      mode: s.mtls ?? sec.mtls,
      ownMode: s.mtls != null,
      policies: s.authorization ?? [],
      requests: sum(buckets, (b) => b.requests),
      mtls: sum(buckets, (b) => b.mtls),
      denied: sum(buckets, (b) => b.denied),
      handshakeErrors: sum(buckets, (b) => b.handshakeErrors),
    };
  });
  const pairs: [string, string][] = [['client', scenario.load.target], ...scenario.services.flatMap((s) => s.calls.map((c): [string, string] => [s.name, c]))];
  const edges = pairs.map(([from, to]) => {
    const b = series[seriesKey.edge(from, to)];
    return { from, to, requests: sum(b, (x) => x.requests), mtls: sum(b, (x) => x.mtls), denied: sum(b, (x) => x.denied), handshakeErrors: sum(b, (x) => x.handshakeErrors) };
  });
  const roots = new Set<string>();
  let issued = 0;
  let rotated = 0;
  const denials = new Map<string, SecuritySummary['denials'][number]>();
  const failures = new Map<string, SecuritySummary['handshakeFailures'][number]>();
  for (const e of result.events) {
    if (e.type === 'certificate-issued' || e.type === 'certificate-rotated') {
      roots.add(e.data.root);
      if (e.type === 'certificate-issued') issued++;
      else rotated++;
    } else if (e.type === 'authorization-denied') {
      const key = `${e.instance}|${e.data.policy}|${e.data.source}`;
      const d = denials.get(key) ?? { instance: e.instance, policy: e.data.policy, source: e.data.source, count: 0 };
      d.count += e.data.count;
      denials.set(key, d);
    } else if (e.type === 'handshake-failed') {
      const toward = e.data.cluster === null ? null : (e.data.endpoint ?? e.data.cluster);
      const key = `${e.instance}|${toward}|${e.data.kind}|${e.data.reason}`;
      const f = failures.get(key) ?? { instance: e.instance, toward, kind: e.data.kind, reason: e.data.reason, count: 0 };
      f.count += e.data.count;
      failures.set(key, f);
    }
  }
  return {
    trustDomain: sec.trustDomain,
    certTtlMs: sec.certTtlMs,
    meshMode: sec.mtls,
    root: sec.rootCA ? { certFile: sec.rootCA.certFile } : null,
    services,
    edges,
    certificates: { issued, rotated, roots: [...roots] },
    denials: [...denials.values()].sort((a, b) => b.count - a.count),
    handshakeFailures: [...failures.values()].sort((a, b) => b.count - a.count),
    plaintextLoad: scenario.load.plaintext === true,
  };
}

/** An authorization policy in a line: "ALLOW from checkout to POST /pay*; DENY …". */
export function policyText(p: AuthorizationPolicy): string {
  if (p.rules.length === 0) return `${p.name}: ${p.action} with no rules (${p.action === 'ALLOW' ? 'allows nothing' : 'matches nothing'})`;
  const rules = p.rules.map((r) => {
    const parts: string[] = [];
    const from = r.from.map((s) =>
      [s.services && `services ${s.services.join(', ')}`, s.notServices && `not services ${s.notServices.join(', ')}`, s.principals && `principals ${s.principals.join(', ')}`, s.notPrincipals && `not principals ${s.notPrincipals.join(', ')}`]
        .filter(Boolean)
        .join(' and '),
    );
    if (from.length) parts.push(`from ${from.join(' or ')}`);
    const to = r.to.map((o) =>
      [o.methods?.join('|'), o.notMethods && `not ${o.notMethods.join('|')}`, o.paths?.join(' '), o.notPaths && `not ${o.notPaths.join(' ')}`, o.ports && `port ${o.ports.join(',')}`, o.notPorts && `not port ${o.notPorts.join(',')}`]
        .filter(Boolean)
        .join(' '),
    );
    if (to.length) parts.push(`to ${to.join(' or ')}`);
    if (r.when.length) parts.push(`when ${r.when.map((w) => `${w.header} is ${w.values.join(' or ')}`).join(' and ')}`);
    return parts.join(' ') || 'any request';
  });
  return `${p.name}: ${p.action} ${rules.join('; or ')}`;
}

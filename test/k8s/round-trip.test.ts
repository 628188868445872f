// Export then import gives the same effective policy: for every shipped scenario and every target,
// what the export writes comes back through mesh.from as the same behaviour, except exactly what
// the export said the target cannot express.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, describe, test } from 'vitest';
import { exportText } from '../../src/cli/export-command.ts';
import { effectivePolicy, type EffectivePolicy } from '../../src/k8s/effective-policy.ts';
import { exportScenario } from '../../src/k8s/export/export-scenario.ts';
import { EXPORT_TARGETS } from '../../src/k8s/export/exported.ts';
import { validateExport } from '../../src/k8s/export/validate-export.ts';
import { importManifests } from '../../src/k8s/import/import-manifests.ts';
import { readMeshFrom } from '../../src/k8s/import/mesh-from-reader.ts';
import { readManifests } from '../../src/k8s/import/read-manifests.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { instanceNames, instanceSpec, type Scenario } from '../../src/scenario/scenario.ts';
import { type AuthorizationPolicy } from '../../src/contract/security-policy.ts';
import { writeSkeleton } from '../../src/k8s/import/write-skeleton.ts';
import { ROOT } from '../helpers/cli.ts';

const SCENARIOS = join(ROOT, 'scenarios');
const shipped = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
const tmp = mkdtempSync(join(tmpdir(), 'meshproof-round-trip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(file: string): { text: string; scenario: Scenario } {
  const text = readFileSync(file, 'utf8');
  const r = parseScenario(text, file, { meshFrom: readMeshFrom });
  assert.deepEqual(r.issues, [], file);
  return { text, scenario: r.scenario! };
}

/**
The scenario with its mesh section replaced by mesh.from the exported folder, and its security
settings (the mesh-wide mode, each service's mode and authorization policies) removed, so they too
can only come back from the manifests.
*/
function reimported(text: string, dir: string): { scenario: Scenario; warnings: string[] } {
  const doc = parseDocument(text);
  doc.set('mesh', { from: ['k8s'] });
  if (doc.hasIn(['security', 'mtls'])) doc.deleteIn(['security', 'mtls']);
  const services = doc.get('services') as { items: { key: unknown }[] } | undefined;
  for (const item of services?.items ?? []) {
    const name = String((item.key as { value?: unknown }).value ?? item.key);
    for (const key of ['mtls', 'authorization']) if (doc.hasIn(['services', name, key])) doc.deleteIn(['services', name, key]);
  }
  const file = join(dir, 'reimported.yaml');
  writeFileSync(file, doc.toString());
  const r = parseScenario(doc.toString(), file, { meshFrom: readMeshFrom });
  assert.deepEqual(r.issues, [], `the re-imported scenario is valid:\n${r.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path}: ${i.message}`).join('\n')}`);
  return { scenario: r.scenario!, warnings: r.scenario!.meshImport!.warnings.map((w) => `${w.file}:${w.line} ${w.path}: ${w.message}`) };
}

/** Policies with callers named by principal only (a service is its principal in the trust domain): how they match, whichever way they are written. */
function principalsOf(policies: AuthorizationPolicy[], trustDomain: string): unknown {
  const p = (names: string[] | undefined) => names?.map((n) => `${trustDomain}/ns/default/sa/${n}`);
  return policies.map((x) => ({
    ...x,
    rules: x.rules.map((r) => ({
      ...r,
      from: r.from.map((s) => {
        const principals = [...(p(s.services) ?? []), ...(s.principals ?? [])];
        const notPrincipals = [...(p(s.notServices) ?? []), ...(s.notPrincipals ?? [])];
        return { ...(principals.length ? { principals } : {}), ...(notPrincipals.length ? { notPrincipals } : {}) };
      }),
    })),
  }));
}

/** Versions and zones of a service's instances, as a sorted multiset. */
function instancesOf(s: Scenario, name: string): string[] {
  const spec = s.services.find((x) => x.name === name)!;
  return instanceNames(spec).map((i) => `${instanceSpec(spec, i).version}/${instanceSpec(spec, i).zone ?? ''}`).sort();
}

describe.each(EXPORT_TARGETS)('export %s, then import', (target) => {
  test.each(shipped)('%s: the same effective policy, but for what the export said it cannot express', async (name) => {
    const { text, scenario } = load(join(SCENARIOS, name));
    const exported = exportScenario(scenario, target);
    assert.deepEqual(await validateExport(exported), [], 'the export validates');
    const dir = join(tmp, target, name.replace(/\.yaml$/, ''));
    mkdirSync(join(dir, 'k8s'), { recursive: true });
    for (const f of exportText(exported, name)) writeFileSync(join(dir, 'k8s', f.name), f.text);

    const back = reimported(text, dir);
    // Everything the export wrote is read back without a warning, but approximations it noted.
    const unexpected = back.warnings.filter((w) => !(/approximated/.test(w) && exported.notes.some((n) => /approximated/.test(n.message))));
    assert.deepEqual(unexpected, [], 'everything the export wrote is read back without a warning');
    for (const s of scenario.services) {
      const before = effectivePolicy(scenario.mesh[s.name], s);
      const after = effectivePolicy(back.scenario.mesh[s.name], back.scenario.services.find((x) => x.name === s.name));
      for (const key of Object.keys(before) as (keyof EffectivePolicy)[]) {
        if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
        const noted = exported.notes.some((n) => n.destination === s.name && (n.key === key || n.key.startsWith(`${key}.`)));
        assert.ok(noted, `${target}, ${s.name}.${key} changed without a note:\n  before ${JSON.stringify(before[key])}\n  after  ${JSON.stringify(after[key])}\nnotes: ${JSON.stringify(exported.notes)}`);
      }
    }

    // So do identities' settings: each service's effective mTLS mode and its authorization policies
    // (callers named by service or by principal alike), but for what a note says was not written.
    const td = scenario.security!.trustDomain;
    for (const s of scenario.services) {
      const b = back.scenario.services.find((x) => x.name === s.name)!;
      const mode = (x: typeof s, sc: Scenario) => x.mtls ?? sc.security!.mtls;
      const noted = (key: string) => exported.notes.some((n) => (n.destination === s.name && n.key === key) || n.key === 'security.mtls');
      if (mode(s, scenario) !== mode(b, back.scenario)) assert.ok(noted('mtls'), `${target}, ${s.name}'s mTLS ${mode(s, scenario)} came back ${mode(b, back.scenario)} without a note`);
      const before = JSON.stringify(principalsOf(s.authorization ?? [], td));
      const after = JSON.stringify(principalsOf(b.authorization ?? [], td));
      if (before !== after) assert.ok(noted('authorization'), `${target}, ${s.name}'s authorization changed without a note:\n  before ${before}\n  after  ${after}`);
    }

    // The topology comes back too: services, replicas, versions and zones.
    const draft = importManifests(readManifests([join(dir, 'k8s')], '.').manifests);
    assert.deepEqual([...draft.services.keys()].sort(), scenario.services.map((s) => s.name).sort());
    for (const s of scenario.services) {
      const groups = draft.services.get(s.name)!.groups;
      const back = groups.flatMap((g) => Array.from({ length: g.replicas }, () => `${g.version ?? 'v1'}/${g.zone ?? ''}`)).sort();
      assert.deepEqual(back, instancesOf(scenario, s.name), `${s.name}'s instances`);
    }
  });
});

test('istio keeps every policy of every shipped scenario but the few it cannot write, and says which', () => {
  const notes = shipped.flatMap((name) => exportScenario(load(join(SCENARIOS, name)).scenario, 'istio').notes.map((n) => `${name}: ${n.destination}.${n.key}`));
  // Istio has no maxEjectionTime, locality without outlier detection, or health checks, and the load
  // balancer in front of an ingress gateway is the cloud's; nothing else is lost.
  for (const n of notes) assert.match(n, /(outlierDetection\.maxEjectionTime|locality|healthCheck|split|panicThreshold|backoff\.max|services\.[a-z-]+\.instances|\.gateways\.[a-z-]+)$/, n);
  // Istio writes every security setting: no note about mTLS or authorization.
  assert.ok(!notes.some((n) => /mtls|authorization/.test(n)), notes.join('\n'));
});

describe('the edges come back: gateways, externals and the outbound traffic policy', () => {
  const edges = [join(ROOT, 'test/k8s/fixtures/edges-scenario.yaml'), join(SCENARIOS, 'two-gateway-replicas-survive-a-crash.yaml')];

  /** meshproof import of the exported folder, as the scenario the skeleton is. */
  function imported(scenario: Scenario, target: 'istio' | 'gateway-api', name: string): Scenario {
    const exported = exportScenario(scenario, target);
    const dir = join(tmp, 'edges', target, name);
    mkdirSync(dir, { recursive: true });
    for (const f of exportText(exported, name)) writeFileSync(join(dir, f.name), f.text);
    const text = writeSkeleton(importManifests(readManifests([dir], '.').manifests), { inputs: [dir] });
    const r = parseScenario(text, join(dir, 'skeleton.yaml'));
    assert.deepEqual(r.issues, [], text);
    return r.scenario!;
  }

  test.each(edges)('istio: %s', (file) => {
    const { scenario } = load(file);
    const back = imported(scenario, 'istio', file.replace(/.*\//, ''));
    assert.deepEqual(back.gateways?.map((g) => ({ ...g, rateLimit: null })), scenario.gateways?.map((g) => ({ ...g, rateLimit: null })), 'the gateways: kind, replicas, TLS, routes in order');
    assert.deepEqual(back.externals?.filter((x) => x.registered).map((x) => x.name), scenario.externals?.filter((x) => x.registered).map((x) => x.name));
    assert.equal(back.outboundTrafficPolicy ?? 'ALLOW_ANY', scenario.outboundTrafficPolicy ?? 'ALLOW_ANY');
    for (const x of scenario.externals ?? []) {
      if (!x.registered) continue;
      assert.deepEqual(back.mesh[x.name]?.timeoutMs, scenario.mesh[x.name]?.timeoutMs, `${x.name}'s timeout, read from the egress gateway's route or its own VirtualService`);
      assert.deepEqual(back.mesh[x.name]?.retries?.attempts, scenario.mesh[x.name]?.retries?.attempts);
    }
  });

  test('mesh.from: the outbound traffic policy and an external\'s policy are taken; a gateway or external the scenario does not declare is a warning at its manifest', () => {
    const { scenario } = load(edges[0]);
    const dir = join(tmp, 'edges', 'mesh-from');
    mkdirSync(join(dir, 'k8s'), { recursive: true });
    for (const f of exportText(exportScenario(scenario, 'istio'), 'edges.yaml')) writeFileSync(join(dir, 'k8s', f.name), f.text);
    const text = `version: 1
name: mesh-from-edges
description: d
duration: 5s
services:
  shop: { calls: [card-api] }
external:
  card-api: {}
mesh: { from: [k8s] }
load: { target: shop, rate: 10/s }
expect: ["success_rate(client) >= 1%"]
`;
    const r = parseScenario(text, join(dir, 'scenario.yaml'), { meshFrom: readMeshFrom });
    assert.deepEqual(r.issues, []);
    assert.equal(r.scenario!.outboundTrafficPolicy, 'REGISTRY_ONLY');
    assert.equal(r.scenario!.mesh['card-api']!.timeoutMs, 800);
    const w = r.scenario!.meshImport!.warnings.map((x) => `${x.path}: ${x.message}`);
    assert.ok(w.some((x) => /^Gateway edge metadata\.name: Gateway edge declares the gateway edge, which this scenario does not \(gateways: none\)/.test(x)), w.join('\n'));
    assert.ok(w.some((x) => /declares the gateway out, which this scenario does not/.test(x)), w.join('\n'));
    assert.ok(!w.some((x) => /external service card-api/.test(x)), 'card-api is declared');
  });

  test('gateway-api: the ingress gateway\'s routes and TLS; a prefix header match as its regular expression', () => {
    const { scenario } = load(edges[0]);
    const back = imported(scenario, 'gateway-api', 'edges-scenario.yaml');
    const edge = back.gateways!.find((g) => g.name === 'edge')!;
    const before = scenario.gateways!.find((g) => g.name === 'edge')!;
    assert.equal(edge.tls !== null, true);
    assert.deepEqual(edge.routes[1], before.routes[1]);
    assert.deepEqual(edge.routes[0]!.match[0]!.headers, [{ name: 'x-team', match: { kind: 'regex', value: 'ops.*' } }]);
    assert.deepEqual(back.gateways!.map((g) => g.name), ['edge'], 'no egress gateway in the Gateway API');
  });
});

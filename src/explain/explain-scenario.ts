import { DEFAULT_VERSION } from '../contract/defaults.ts';
import { formatDuration, formatPercent, formatRate, formatSize, plural } from '../util/format.ts';
import { urlVariable } from '../scenario/app-contract.ts';
import { instanceNames, instanceSpec, runsOwnProgram, type MeshImport, type Scenario, type ServiceSpec } from '../scenario/scenario.ts';
import { callersOf } from '../verdict/scope.ts';
import { describeExpectation } from './describe-expectation.ts';
import { describeFaults, type FaultTimelineOptions } from './describe-fault.ts';
import { describePolicy, sourceText } from './describe-policy.ts';
import { describeSecurity } from './describe-security.ts';
import { andList, latencyText } from './words.ts';
import { describeExternal, describeGateway, entryText, trafficPolicyText } from './describe-edges.ts';

export type ExplainOptions = FaultTimelineOptions;

/**
The scenario in plain words, before anything runs (`meshproof explain`): the topology (services,
instances with their zones and versions, who calls whom), each destination's policy with its
effective values (the mesh profile's defaults filled in) and what it will do, the fault timeline,
and what each expectation checks with its window resolved to times. Pure: the lines to print, from
the normalised scenario.
*/
export function explainScenario(scenario: Scenario, options: ExplainOptions = {}): string[] {
  const out: string[] = [];
  const profile = scenario.profile ?? 'envoy';
  out.push(`${scenario.name} — ${scenario.description}`);
  out.push(
    `${scenario.source.file} · seed ${scenario.seed} · ${formatDuration(scenario.durationMs)} run · runtime ${scenario.runtime ?? 'local'} · mesh profile ${profile} (what the scenario does not write is ${profile}'s default)`,
  );

  out.push('', 'Topology');
  const l = scenario.load;
  const entry = entryText(scenario);
  if (l.model === 'closed') {
    out.push(
      `  client (the load generator) sends ${l.path} to ${l.target} for ${formatDuration(l.durationMs)}, closed loop: ${plural(l.connections, 'request')} in flight, each sent as the previous one is answered (as fast as the mesh answers).${entry ? ` ${entry}` : ''}`,
    );
  } else {
    let at = 0;
    const phases = l.phases.map((p) => `${formatDuration(at)}–${formatDuration((at += p.durationMs))} at ${formatRate(p.rate)}`);
    const rate = l.phases.length ? `in phases: ${phases.join(', ')}` : `at ${formatRate(l.rate ?? 0)}`;
    const spread = l.arrivals === 'poisson' ? 'Poisson arrivals (random gaps, from the seed)' : 'evenly spaced arrivals';
    out.push(
      `  client (the load generator) sends ${l.path} to ${l.target} ${rate}, for ${formatDuration(l.durationMs)}, open loop with ${spread}: each request leaves at its planned time, whatever the responses do; at most ${plural(l.connections, 'request')} in flight (one that finds the cap reached is dropped and counted).${entry ? ` ${entry}` : ''}`,
    );
  }
  const indent = (lines: string[]) => lines.map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`));
  // In the order traffic meets them: the ingress gateways at the entry, the services, then the way out.
  const gateways = scenario.gateways ?? [];
  for (const g of gateways.filter((x) => x.kind === 'ingress')) out.push(...indent(describeGateway(g, scenario)));
  for (const s of scenario.services) out.push(...indent(describeService(s, scenario)));
  for (const g of gateways.filter((x) => x.kind === 'egress')) out.push(...indent(describeGateway(g, scenario)));
  for (const e of scenario.externals ?? []) out.push(...indent(describeExternal(e, scenario)));

  out.push('', "Policies (what the callers' sidecars do toward each destination)");
  if (scenario.meshImport) out.push(...describeMeshImport(scenario.meshImport).map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`)));
  for (const name of [...(scenario.gateways ?? []).map((g) => g.name), ...scenario.services.map((s) => s.name), ...(scenario.externals ?? []).map((e) => e.name)]) {
    const lines = describePolicy(name, scenario);
    out.push(...lines.map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`)));
  }
  if ((scenario.externals ?? []).length > 0 || scenario.outboundTrafficPolicy) out.push(`  ${trafficPolicyText(scenario)}`);

  const security = describeSecurity(scenario);
  if (security.length) {
    out.push('', 'Security (identities, mutual TLS and authorization)');
    out.push(...security.map((line) => `  ${line}`));
  }

  const faults = describeFaults(scenario, options);
  out.push('', 'Faults (times from the start of the load, as planned)');
  if (faults.length === 0) out.push('  none');
  else out.push(...faults.map((f) => `  ${f}`));
  if ((scenario.faults ?? []).some((f) => f.action.kind === 'toxic' || f.action.kind === 'partition')) out.push(`  Toxics and partitions are applied by ${engineText(scenario.chaos)}.`);

  out.push('', 'Expectations');
  if (scenario.expect.length === 0) out.push('  none: the run will check nothing');
  scenario.expect.forEach((e, i) => {
    out.push(`  ${i + 1}. ${e.text}`);
    out.push(`     checks that ${describeExpectation(e, scenario)}`);
  });
  return out;
}

/** What runs for a service with a program of its own, and how it reaches its callees and gets ready. */
function describeOwnProgram(s: ServiceSpec, runtime: Scenario['runtime']): string[] {
  const lines: string[] = [];
  const program = s.command !== null ? `runs ${typeof s.command === 'string' ? `sh -c "${s.command}"` : s.command.join(' ')} in ${s.cwd} (local runtime)` : '';
  const image = s.image !== null ? `runs the image ${s.image} (Docker runtime)` : '';
  lines.push(`Your program: ${[program, image].filter(Boolean).join('; ')}; this scenario's runtime is ${runtime}.`);
  const reach = s.calls.map((c) => `${c} at $${urlVariable(c)}`);
  lines.push(`It listens on $PORT${reach.length ? ` and reaches ${andList(reach)} (its sidecar's own listeners; or through $MESHPROOF_SIDECAR with the Host header, or HTTP_PROXY)` : ' and calls nothing'}.`);
  const r = s.ready!;
  const check = r.probe.kind === 'tcp' ? '$PORT accepts a connection' : r.probe.kind === 'http' ? `GET ${r.probe.path} answers 2xx` : `a line of its output matches /${r.probe.pattern}/`;
  lines.push(`Ready when ${check}, within ${formatDuration(r.timeoutMs)}; the load waits for every instance, and one that exits or runs out of time stops the run (exit 2).`);
  const env = Object.keys(s.env);
  if (env.length) lines.push(`Its env adds ${env.join(', ')}.`);
  return lines;
}

/** A service: its instances (with zone and version), what the built-in service does, whom it calls, its inbound rate limit and bulkheads. */
function describeService(s: ServiceSpec, scenario: Scenario): string[] {
  const names = instanceNames(s);
  const versions = hasVersions(s);
  const labels = names.map((i) => {
    const spec = instanceSpec(s, i);
    const tags = [spec.zone !== null ? `zone ${spec.zone}` : '', spec.version !== DEFAULT_VERSION || versions ? spec.version : ''].filter(Boolean);
    return tags.length ? `${i} (${tags.join(', ')})` : i;
  });
  const callers = callersOf(s.name, scenario).map((c) => (c === 'client' ? 'the load generator' : c));
  const lines = [`${s.name}: ${plural(s.replicas, 'instance')} — ${labels.join(', ')}; called by ${callers.length ? andList(callers) : 'nobody'}.`];

  if (runsOwnProgram(s)) lines.push(...describeOwnProgram(s, scenario.runtime));
  else lines.push(...describeBuiltin(s));
  if (s.rateLimit) {
    lines.push(`Rate limit: each instance's sidecar lets ${formatRate(s.rateLimit.requestsPerSecond)} through (bursts of ${s.rateLimit.burst}); beyond that it answers 429 RL.`);
  }
  const rls = scenario.rateLimitService;
  for (const q of s.quotas ?? []) {
    const per = q.by === 'service' ? 'all requests' : q.by === 'header' ? `requests ${q.value === null ? `per value of ${q.header}` : `with ${q.header}: ${q.value}`}` : q.value === null ? `requests per ${q.by === 'caller' ? 'calling service' : 'path'}` : `requests ${q.by === 'caller' ? `from ${q.value}` : `to ${q.value}`}`;
    const over = q.shadow ? 'beyond it they are counted (shadow mode), not refused' : 'beyond it the sidecar answers 429 RL';
    lines.push(`Quota ${q.name}: ${per}, ${q.limit.requests} a ${q.limit.unit} for every instance together (the rate-limit service counts them); ${over}.`);
  }
  if ((s.quotas ?? []).length > 0 && rls) {
    const down = rls.failureMode === 'allow' ? 'let through unchecked' : 'refused with 500 RLSE';
    lines.push(`Without an answer from the rate-limit service within ${formatDuration(rls.timeoutMs)} (down, paused, slow), requests are ${down} (failureMode ${rls.failureMode}).`);
  }
  for (const [to, max] of Object.entries(s.bulkheads)) {
    lines.push(`Bulkhead: each instance's sidecar keeps at most ${plural(max, 'request')} in flight to ${to}; beyond that a call fails at once with 503 UO.`);
  }
  return lines;
}

/** What the built-in service does, and how one instance differs. */
function describeBuiltin(s: ServiceSpec): string[] {
  const lines: string[] = [];
  const body = s.responseBytes > 0 ? ` with a ${formatSize(s.responseBytes)} body` : '';
  const work = [`answers after ${latencyText(s.latency)}${body}`];
  if (s.errorRate > 0) work.push(`fails ${formatPercent(s.errorRate)} of requests at once with ${s.errorStatus}`);
  if (s.concurrency !== null) work.push(`works on ${s.concurrency} at once, ${s.queue} more wait, the rest are answered 503`);
  const calls = s.calls.length === 0 ? 'calls nothing' : s.callMode === 'parallel' ? `calls ${andList(s.calls)} at once, per request` : `calls ${s.calls.join(' then ')}, per request`;
  lines.push(`Built-in service: ${work.join('; ')}; ${calls}.`);
  for (const [instance, o] of Object.entries(s.instances)) {
    const diff: string[] = [];
    if (o.latency) diff.push(`answers after ${latencyText(o.latency)}`);
    if (o.errorRate !== undefined) diff.push(`fails ${formatPercent(o.errorRate)} of requests`);
    if (o.errorStatus !== undefined) diff.push(`with status ${o.errorStatus}`);
    if (o.concurrency !== undefined) diff.push(o.concurrency === null ? 'has no concurrency limit' : `works on ${o.concurrency} at once`);
    if (o.queue !== undefined) diff.push(`queues ${o.queue}`);
    if (o.responseBytes !== undefined) diff.push(o.responseBytes > 0 ? `answers with a ${formatSize(o.responseBytes)} body` : 'answers with the usual short body');
    if (diff.length) lines.push(`${instance} differs: ${diff.join('; ')}.`);
  }
  return lines;
}

/** What mesh.from brought in: the files, and every warning with its position (values name their sources under each destination). */
function describeMeshImport(m: MeshImport): string[] {
  const values = Object.keys(m.sources).filter((k) => k !== 'profile').length;
  const lines = [
    `From Kubernetes manifests (mesh.from: ${m.from.join(', ')}): ${plural(m.files.length, 'file')} (${m.files.join(', ')}), ${plural(values, 'value')} in effect; what the scenario writes itself wins.`,
  ];
  if (m.sources.profile) lines.push(`The profile comes from ${sourceText(m.sources.profile)}.`);
  if (m.warnings.length === 0) lines.push('Everything in them is expressed.');
  else {
    lines.push(`Not applied as written (${plural(m.warnings.length, 'warning')}):`);
    for (const w of m.warnings) lines.push(`  ${w.file}:${w.line}:${w.col} ${w.path ? `${w.path}: ` : ''}${w.message}`);
  }
  return lines;
}

/** Which engine applies wire faults, in words. */
function engineText(chaos: Scenario['chaos'] | undefined): string {
  if (!chaos || chaos.engine === 'builtin') return "meshproof's built-in Toxiproxy-compatible engine (chaos.engine builtin)";
  return chaos.address ? `the toxiproxy-server at ${chaos.address}` : 'a toxiproxy-server that meshproof starts from PATH for the run';
}

/** Whether the instances of a service carry different versions (then every instance's version is worth saying). */
function hasVersions(s: ServiceSpec): boolean {
  return new Set(instanceNames(s).map((i) => instanceSpec(s, i).version)).size > 1;
}

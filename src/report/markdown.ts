import { describeMeshEvent } from '../contract/describe-mesh-event.ts';
import type { ReportOptions, RunResult } from './run-result.ts';
import { tracesMarkdown } from '../trace/trace-summary.ts';
import type { Verdict } from '../verdict/verdict.ts';
import { actualText, decidingEventLine, faultTargetText, faultText, measuredText, policyCells, scheduledText } from './describe.ts';
import { formatDuration, formatLatency, formatPercent, formatRate, formatWindow, plural } from '../util/format.ts';
import { loadFacts } from './load-honesty-text.ts';
import { serviceStats } from './service-stats.ts';
import { policyText, securitySummary } from './security-summary.ts';
import { anyBudgetRefusal, edgeStats } from './edge-stats.ts';
import { breachesOf, healthCost, healthRows } from '../contract/describe-run-health.ts';

const STATUS: Record<Verdict['status'], string> = { held: '✅ held', failed: '❌ failed', no_data: '⚠️ no data', inconclusive: '❔ inconclusive' };

/**
The run as Markdown that fits a CI job summary (`$GITHUB_STEP_SUMMARY`, a GitLab MR note): a title
with ✅/❌, a table of expectations, why each failure failed (with the events that decided it), the
fault timeline (planned and actual), the load, the services, the effective mesh policies, and how
to re-run it.
*/
export function renderMarkdown(result: RunResult, options: ReportOptions = {}): string {
  const describe = options.describe ?? describeMeshEvent;
  const { scenario, verdicts } = result;
  const held = verdicts.filter((v) => v.status === 'held').length;
  const out: string[] = [];

  const inconclusive = verdicts.filter((v) => v.status === 'inconclusive');
  const anyFailed = verdicts.some((v) => v.status === 'failed' || v.status === 'no_data');
  const mark = result.passed ? '✅' : !anyFailed && !result.error && inconclusive.length > 0 ? '❔' : '❌';
  out.push(`## ${mark} ${inline(scenario.name)} — ${held} of ${plural(verdicts.length, 'expectation')} held${inconclusive.length ? `, ${inconclusive.length} inconclusive` : ''}`);
  if (scenario.description) out.push('', inline(scenario.description));
  if (result.error) {
    // A program that did not start brings the end of its output: kept as lines, in a block.
    const [first, ...rest] = result.error.split('\n');
    out.push('', `> ⚠️ **The run did not complete:** ${inline(first)}`);
    if (rest.length) out.push('', fence(rest.join('\n')));
  }

  out.push('', '| Status | Expectation | Measured | Window |', '| --- | --- | ---: | --- |');
  for (const v of verdicts) {
    const measured = measuredText(v) ?? '—';
    const window = v.window.toMs === v.window.fromMs ? `at ${formatDuration(v.window.fromMs)}` : formatWindow(v.window);
    out.push(row([STATUS[v.status], code(v.expectation.text), measured, window]));
  }

  if (inconclusive.length) {
    out.push('', '**Why it is inconclusive** (the harness broke a promise these verdicts depend on; see Harness health)', '');
    for (const v of inconclusive) out.push(`- ${code(v.expectation.text)} (the measurement alone: ${v.inconclusive?.wouldBe ?? '?'}): ${inline((v.inconclusive?.reasons ?? []).join('; '))}`);
  }

  const failed = verdicts.filter((v) => v.status !== 'held' && v.status !== 'inconclusive');
  if (failed.length) {
    out.push('', '**Why it failed**', '');
    for (const v of failed) {
      out.push(`- ${code(v.expectation.text)}: ${inline(v.explanation)}`);
      for (const e of (v.events ?? []).slice(0, 5).map((d) => decidingEventLine(d, describe))) out.push(`  - ${formatDuration(e.atMs)} ${inline(e.instance)} ${code(e.type)}: ${inline(e.message)}`);
    }
  }

  const faults = scenario.faults ?? [];
  if (faults.length) {
    out.push('', '**Faults**', '', '| Fault | Target | What | Planned | Took effect | Detail |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of faults) {
      const r = (result.faults ?? []).find((x) => x.name === f.name);
      out.push(row([code(f.name), code(faultTargetText(f)), inline(faultText(f)), scheduledText(f), actualText(r), inline(r?.detail || '—')]));
    }
  }

  const load = result.load;
  out.push(
    '',
    `**Load:** ${load.requests} requests to ${code(scenario.load.target)} at ${formatRate(load.achievedRate)} (${load.targetRate === null ? 'closed loop' : `target ${formatRate(load.targetRate)}`})` +
      ` · ${errorsByKind(load)}`,
  );
  if (load.honesty) {
    const facts = loadFacts(load.honesty, load.sender);
    const short = facts.filter((f) => f.ok === false).length;
    out.push('', `| Load delivered${short ? ` (⚠️ ${plural(short, 'figure')} off its goal)` : ''} | |`, '| --- | --- |');
    for (const f of facts) out.push(row([f.ok === false ? `⚠️ ${f.label}` : f.label, inline(f.value)]));
  }

  if (result.health) {
    out.push('', '**Harness health** (the promises the verdicts depend on)', '', '| | Promise | Measured | Limit | Cost |', '| --- | --- | --- | --- | --- |');
    for (const h of healthRows(result.health, breachesOf(result.verdicts))) out.push(row([h.kept ? '✅' : '⚠️', inline(h.what), inline(h.figure), inline(h.limit), inline(healthCost(h))]));
  }

  const stats = serviceStats(scenario, result.timeline);
  if (stats.length) {
    out.push('', '| Service | Instances | rps | Success | p50 | p99 |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const s of stats) {
      out.push(row([inline(s.service), String(s.replicas), formatRate(s.rps), formatPercent(s.successRate), formatLatency(s.p50), formatLatency(s.p99)]));
    }
  }

  const edges = edgeStats(scenario, result.timeline);
  if (anyBudgetRefusal(edges)) {
    out.push('', '| Edge | Requests | Rate limited / over quota (429 RL) | Deadline exceeded (DE) |', '| --- | ---: | ---: | ---: |');
    for (const e of edges) out.push(row([`${inline(e.from)} → ${inline(e.to)}`, String(e.requests), String(e.limited), String(e.deadlineExceeded)]));
  }

  const logs = (result.instances ?? []).filter((i) => i.log);
  if (logs.length) out.push('', `**Output of your programs** (in the report folder): ${logs.map((i) => `${code(i.log!)} (${inline(i.instance)})`).join(', ')}`);

  out.push(...policyTable(result));
  out.push(...securityMarkdown(result));
  out.push(...tracesMarkdown(result.traces));

  const removal = result.endpointRemovalDelayMs;
  out.push(
    '',
    `Seed ${code(String(scenario.seed))} · runtime ${code(result.runtime)} · ${formatDuration(scenario.durationMs)} of load · run ${code(result.runId)} · meshproof ${inline(result.meshproofVersion)}` +
      (removal !== undefined ? ` · an exited instance leaves the endpoints ${formatDuration(removal)} later` : ''),
    '',
    `Re-run: ${code(`npx meshproof run ${scenario.source.file}`)}`,
    '',
  );
  return out.join('\n');
}

/**
The policy each destination ran with, every default filled in from the profile (so a reader sees
that Envoy's 15s route timeout or Istio's two retries were in force without having written them).
*/
function policyTable(result: RunResult): string[] {
  const { scenario } = result;
  const names = Object.keys(scenario.mesh ?? {});
  if (names.length === 0 || !scenario.mesh[names[0]].connectionPool) return [];
  const out = [
    '',
    `**Mesh policies** (profile ${code(scenario.profile ?? 'envoy')}; what is not written in the scenario is the profile's default)`,
    '',
    '| Destination | Timeout | Retries | Load balancer | Connection pool | Outlier detection | Panic below | Health check | Locality | Fault | Split |',
    '| --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- | --- |',
  ];
  for (const name of names) {
    const c = policyCells(scenario.mesh[name]);
    out.push(row([code(name), c.timeout, inline(c.retries), c.loadBalancer, c.connectionPool, inline(c.outlierDetection), c.panicThreshold, inline(c.healthCheck), c.locality, c.fault, inline(c.split)]));
  }
  const imported = scenario.meshImport;
  if (imported) {
    // What the run took from Kubernetes manifests, and what of them it could not apply.
    const values = Object.keys(imported.sources).filter((k) => k !== 'profile').length;
    out.push('', `Imported from ${imported.files.length} Kubernetes manifest${imported.files.length === 1 ? '' : 's'} (${code(`mesh.from: ${imported.from.join(', ')}`)}): ${values} value${values === 1 ? '' : 's'} in effect.`);
    if (imported.warnings.length > 0) {
      out.push('', `<details><summary>${imported.warnings.length} not applied as written</summary>`, '');
      for (const w of imported.warnings) out.push(`- ${code(`${w.file}:${w.line}:${w.col}`)} ${inline(`${w.path ? `${w.path}: ` : ''}${w.message}`)}`);
      out.push('', '</details>');
    }
  }
  return out;
}

/**
Identities, what each service accepted, how each edge travelled, who was refused by which policy
and why handshakes failed.
*/
function securityMarkdown(result: RunResult): string[] {
  const s = securitySummary(result);
  if (!s) return [];
  const share = (n: number, of: number) => (of === 0 ? '—' : formatPercent(n / of));
  const root = s.root ? `root CA from ${code(s.root.certFile)} (an intermediate under it signed the workloads)` : 'a self-signed root made for the run';
  const certs = `${s.certificates.issued} issued, ${s.certificates.rotated} renewed or reissued${s.certificates.roots.length > 1 ? `, under ${s.certificates.roots.length} roots` : ''}`;
  const out = [
    '',
    `**Security** (trust domain ${code(s.trustDomain)}, mesh-wide mTLS ${code(s.meshMode)}, certificates of ${formatDuration(s.certTtlMs)}; ${root}; certificates: ${certs}${s.plaintextLoad ? '; the load was an outside client, in plaintext' : ''})`,
    '',
    '| Service | Identity | mTLS mode | Requests in over mTLS | Denied | Failed handshakes | Authorization |',
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const x of s.services) {
    const policies = x.policies.length ? x.policies.map((p) => inline(policyText(p))).join('<br>') : 'none (every request allowed)';
    out.push(row([code(x.service), code(x.spiffeId), `${x.mode}${x.ownMode ? '' : ' (mesh)'}`, share(x.mtls, x.requests), String(x.denied), String(x.handshakeErrors), policies]));
  }
  out.push('', '| Edge | Requests | Over mTLS | Denied | Failed handshakes |', '| --- | ---: | ---: | ---: | ---: |');
  for (const e of s.edges) out.push(row([code(`${e.from} -> ${e.to}`), String(e.requests), share(e.mtls, e.requests), String(e.denied), String(e.handshakeErrors)]));
  if (s.denials.length) {
    out.push('', 'Denied, by the policy that decided:', '');
    for (const d of s.denials.slice(0, 10)) out.push(`- ${d.count} at ${inline(d.instance)} from ${d.source === null ? 'a plaintext caller' : code(d.source)}: ${code(d.policy === 'none' ? 'no ALLOW policy matched' : d.policy)}`);
  }
  if (s.handshakeFailures.length) {
    out.push('', 'Failed handshakes, by why:', '');
    for (const f of s.handshakeFailures.slice(0, 10)) out.push(`- ${f.count} ${f.toward === null ? `into ${inline(f.instance)}` : `from ${inline(f.instance)} to ${inline(f.toward)}`}: ${code(f.reason)} (ssl.${f.kind})`);
  }
  return out;
}

/** "no errors" or "3 errors: 504 ×2, ECONNRESET ×1" (statuses >= 500, then what got no response, by kind). */
export function errorsByKind(load: RunResult['load']): string {
  if (load.errors === 0) return 'no errors';
  const kinds: [string, number][] = Object.entries(load.status).filter(([k, n]) => n > 0 && k !== 'error' && Number(k) >= 500);
  const kindEntries = Object.entries(load.errorKinds).filter(([, n]) => n > 0);
  if (kindEntries.length) kinds.push(...kindEntries);
  else if (load.status.error) kinds.push(['no response', load.status.error]);
  kinds.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const list = kinds.map(([k, n]) => `${inline(k)} ×${n}`).join(', ');
  return `${plural(load.errors, 'error')}${list ? `: ${list}` : ''}`;
}

function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
}

/**
Text outside code: neutralises what Markdown (or the HTML GitHub lets through) would take as markup
— a tag, an entity, emphasis at a word boundary, a link — while `p99 < 100ms` and `a -> b` stay
readable in the raw file.
*/
export function inline(s: string): string {
  return s
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/([\\`*[\]])/g, '\\$1')
    // An underscore inside a word (snake_case) never emphasises; one at a word's edge may.
    .replace(/_/g, (u, at: number, all: string) => (/[A-Za-z0-9]/.test(all[at - 1] ?? '') && /[A-Za-z0-9]/.test(all[at + 1] ?? '') ? u : '\\_'));
}

/** A fenced block that survives backtick fences in its content. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${text}\n${f}`;
}

/** A code span that survives backticks in its content. */
export function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

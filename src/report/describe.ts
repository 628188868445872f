import { httpFaultText, type Describer } from '../contract/describe-mesh-event.ts';
import type { Fault } from '../scenario/scenario.ts';
import type { DestinationPolicy } from '../contract/mesh-policy.ts';
import type { DecidingEvent, Verdict } from '../verdict/verdict.ts';
import type { FaultRecord } from '../contract/fault-record.ts';
import { scopeLabel } from '../verdict/scope.ts';
import { formatDuration, formatLatency, formatPercent, formatValue } from '../util/format.ts';

/**
Words for what a run was configured with and what a verdict measured, shared by the reporters so a
fault, a policy or a measured value reads the same in the Markdown summary, the JUnit file and the
terminal.
*/

/**
What a verdict measured, for a table cell: "99.58%", "after 1.2s" (an ejection or a recovery),
"ejected and paused" (a state). null when nothing was measured.
*/
export function measuredText(v: Verdict): string | null {
  const e = v.expectation;
  switch (e.kind) {
    case 'ejected':
      if (v.status === 'no_data') return null;
      return Number.isNaN(v.measured) ? 'not ejected' : `after ${formatLatency(v.measured)}`;
    case 'recovered':
      if (v.status === 'no_data') return null;
      if (Number.isNaN(v.measured)) return 'not recovered';
      return v.measured === 0 ? 'at once' : `after ${formatLatency(v.measured)}`;
    case 'state': {
      if (v.status === 'no_data') return null;
      const ev = v.evidence;
      const states = [ev.killed ? 'killed' : '', ev.paused ? 'paused' : '', ev.ejected_by ? 'ejected' : '', ev.unhealthy_by ? 'unhealthy' : ''].filter(Boolean);
      return states.length ? states.join(' and ') : 'healthy';
    }
    default:
      return v.status === 'no_data' ? null : formatValue(v.measured, e.unit);
  }
}

/** A deciding event as a line: who reported it, what it is, and the words (the describer's, for a mesh event). */
export function decidingEventLine(d: DecidingEvent, describe: Describer): { atMs: number; instance: string; type: string; message: string } {
  return 'event' in d ? { atMs: d.atMs, instance: d.event.instance, type: d.event.type, message: describe(d.event) } : d;
}

/** What a fault does, in a few words: "http abort 503 (100%) at the inbound", "kill, restart after 4s", "latency toxic 300ms ± 0ms downstream". */
export function faultText(f: Fault): string {
  const a = f.action;
  switch (a.kind) {
    case 'http':
      return `http ${httpFaultText(a.fault)} at the ${a.at}`;
    case 'process':
      if (a.action === 'kill') return a.restartAfterMs === null ? 'kill (no restart)' : `kill, restart after ${formatDuration(a.restartAfterMs)}`;
      return a.action;
    case 'toxic': {
      const t = a.toxic;
      if (t.type === 'down') return 'link down (toxiproxy enabled=false)';
      const attrs = Object.entries(t.attributes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const toxicity = t.toxicity < 1 ? `, ${formatPercent(t.toxicity)} of connections` : '';
      return `${t.type} toxic (${attrs ? `${attrs}, ` : ''}${t.stream}${toxicity})`;
    }
    case 'partition':
      return `partition [${a.groups[0].join(', ')}] | [${a.groups[1].join(', ')}]`;
    case 'security':
      return `mTLS ${a.mtls} (a config push)`;
    case 'cert-expire':
      return 'certificate expired (not renewed)';
    case 'root-rotation':
      return `root CA rotation ${a.overlap ? 'with' : 'without'} trust-bundle overlap`;
    case 'clock-skew':
      return `clock ${formatDuration(Math.abs(a.offsetMs))} ${a.offsetMs > 0 ? 'ahead' : 'behind'}`;
  }
}

/** What a fault hits: its target, or for a partition its groups. */
export function faultTargetText(f: Fault): string {
  return f.action.kind === 'partition' ? `${f.action.groups[0].join(', ')} ⟂ ${f.action.groups[1].join(', ')}` : scopeLabel(f.target);
}

/** When a fault was planned: "5s–20s", "20s–" (to the end of the run), "20s" (instant). */
export function scheduledText(f: Fault): string {
  if (f.forMs === null) return `${formatDuration(f.atMs)}–end`;
  if (f.forMs === 0) return formatDuration(f.atMs);
  return `${formatDuration(f.atMs)}–${formatDuration(f.atMs + f.forMs)}`;
}

/** When it really held: "5.01s–20s", "5.01s–end", "never". */
export function actualText(r: FaultRecord | undefined): string {
  if (!r) return 'not recorded';
  if (r.startedMs === null) return 'never';
  return `${formatDuration(r.startedMs)}–${r.endedMs === null ? 'end' : formatDuration(r.endedMs)}`;
}

/** One destination's effective policy, one phrase per knob, for a table row. */
export function policyCells(p: DestinationPolicy): Record<'timeout' | 'retries' | 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'panicThreshold' | 'healthCheck' | 'locality' | 'fault' | 'split', string> {
  return {
    timeout: p.timeoutMs === null ? 'none' : formatDuration(p.timeoutMs),
    retries: retriesText(p),
    loadBalancer: p.loadBalancer,
    connectionPool: poolText(p),
    outlierDetection: outlierText(p),
    panicThreshold: formatPercent(p.panicThreshold),
    healthCheck: p.healthCheck
      ? `every ${formatDuration(p.healthCheck.intervalMs)}, timeout ${formatDuration(p.healthCheck.timeoutMs)}, ${p.healthCheck.unhealthyThreshold} down / ${p.healthCheck.healthyThreshold} up, ${p.healthCheck.path}`
      : 'off',
    locality: p.locality.enabled ? `on (overprovisioning ${p.locality.overprovisioningFactor})` : 'off',
    fault: p.fault ? httpFaultText(p.fault) : 'none',
    split: splitText(p),
  };
}

function retriesText(p: DestinationPolicy): string {
  const r = p.retries;
  if (!r) return 'none';
  const on = r.retryOn.flatMap((c) => (c === 'retriable-status-codes' ? r.retriableStatusCodes.map(String) : [c])).join(', ');
  const parts = [`${r.attempts} on ${on}`];
  if (r.perTryTimeoutMs !== null) parts.push(`per try ${formatDuration(r.perTryTimeoutMs)}`);
  parts.push(r.budget ? `budget ${formatPercent(r.budget.percent)} (min ${r.budget.minRetryConcurrency})` : 'no budget');
  return parts.join('; ');
}

function poolText(p: DestinationPolicy): string {
  const c = p.connectionPool;
  if (c.maxConnections === null && c.maxPendingRequests === null && c.maxRequests === null && c.maxRetries === null) return 'unlimited';
  const n = (x: number | null) => (x === null ? '∞' : String(x));
  return `${n(c.maxConnections)} connections, ${n(c.maxPendingRequests)} pending, ${n(c.maxRequests)} requests, ${n(c.maxRetries)} retries`;
}

function outlierText(p: DestinationPolicy): string {
  const o = p.outlierDetection;
  if (!o) return 'off';
  const on = [o.consecutive5xx !== null ? `${o.consecutive5xx} × 5xx` : '', o.consecutiveGatewayErrors !== null ? `${o.consecutiveGatewayErrors} × gateway error` : '']
    .filter(Boolean)
    .join(' or ');
  return `${on || 'nothing'}; every ${formatDuration(o.intervalMs)}; ${formatDuration(o.baseEjectionTimeMs)} × n up to ${formatDuration(o.maxEjectionTimeMs)}; at most ${formatPercent(o.maxEjectionPercent)}`;
}

function splitText(p: DestinationPolicy): string {
  const s = p.split;
  if (!s) return 'none';
  const weights = Object.entries(s.weights)
    .map(([v, w]) => `${v} ${formatPercent(w)}`)
    .join(', ');
  const routes = s.routes.map((r) => `${Object.entries(r.headers).map(([h, v]) => `${h}=${v}`).join(' ')} → ${r.version}`);
  return [weights, ...routes].filter(Boolean).join('; ');
}

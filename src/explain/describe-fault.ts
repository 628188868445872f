import { formatDuration, formatLatency, formatPercent } from '../util/format.ts';
import { TOXICS } from '../scenario/shape.ts';
import type { Fault, FaultTarget, Scenario } from '../scenario/scenario.ts';
import type { HttpFault } from '../contract/mesh-policy.ts';
import type { MtlsMode } from '../contract/security-policy.ts';
import { scheduledEnd } from '../verdict/fault-times.ts';
import { callersOf } from '../verdict/scope.ts';
import { andList, shareOf, sidecarsOf, spanText } from './words.ts';
import { DEFAULT_ENDPOINT_REMOVAL_DELAY_MS } from '../chaos/schedule/endpoint-removal.ts';

export interface FaultTimelineOptions {
  /**
  How long after a process exits the control plane removes it from the endpoints, in ms (the fault
  runner's detection delay). Default 1000, the fault runner's own default.
  */
  endpointRemovalDelayMs?: number;
}

/**
One line per fault, in the order they start: when (planned, from the start of the load), its name,
and what it does in words, including what the mesh will see (a paused instance stays an endpoint; a
killed one leaves the endpoints after the control plane's detection delay).
*/
export function describeFaults(scenario: Scenario, options: FaultTimelineOptions = {}): string[] {
  const faults = [...(scenario.faults ?? [])].sort((a, b) => a.atMs - b.atMs);
  if (faults.length === 0) return [];
  const spans = faults.map((f) => spanText(f.atMs, scheduledEnd(f) ?? null));
  const spanWidth = Math.max(...spans.map((s) => s.length));
  const nameWidth = Math.max(...faults.map((f) => f.name.length));
  return faults.map((f, i) => `${spans[i].padEnd(spanWidth)}  ${f.name.padEnd(nameWidth)}  ${describeFault(f, scenario, options)}`);
}

/** What one fault does, in a sentence. */
export function describeFault(f: Fault, scenario: Scenario, options: FaultTimelineOptions = {}): string {
  const a = f.action;
  const until = f.forMs === null ? 'to the end of the run' : `until ${formatDuration(f.atMs + f.forMs)}`;
  switch (a.kind) {
    case 'http': {
      const what = httpEffect(a.fault);
      if (a.at === 'inbound') {
        const sidecar = f.target.kind === 'service' ? "each one's inbound sidecar" : 'its inbound sidecar';
        return `${targetWords(f.target)} ${what}, at ${sidecar}, ${until}: callers see a real failure and may retry it.`;
      }
      if (f.target.kind === 'mesh') return `${what} ${until}.`;
      const from = f.target.kind === 'edge' ? [f.target.from] : callersOf(f.target.service, scenario);
      const to = f.target.kind === 'edge' ? f.target.to : f.target.service;
      return `${sidecarsOf(from)} ${outboundEffect(a.fault, to)} ${until}, as an Istio VirtualService fault: not retried.`;
    }
    case 'process': {
      const who = targetWords(f.target);
      const removal = formatDuration(options.endpointRemovalDelayMs ?? DEFAULT_ENDPOINT_REMOVAL_DELAY_MS);
      switch (a.action) {
        case 'kill':
          return `${who} is killed (SIGKILL)${a.restartAfterMs === null ? ' and stays dead' : ` and started again at ${formatDuration(f.atMs + a.restartAfterMs)}`}; the control plane removes it from the endpoints ${removal} after it dies, until then callers' tries to it fail.`;
        case 'pause':
          return `${who} is paused (SIGSTOP) ${until}: it hangs but keeps its port, and stays an endpoint until timeouts, outlier detection or health checks catch it.`;
        case 'restart':
          return `${who} is killed and started again at once; the control plane removes it from the endpoints ${removal} after it dies, unless it is back first.`;
      }
      return who;
    }
    case 'toxic': {
      const t = a.toxic;
      const spec = TOXICS[t.type];
      const attrs = Object.entries(t.attributes).map(([k, v]) => `${k} ${v}${unitSuffix(spec?.attributes[k]?.unit)}`);
      const conns = t.toxicity < 1 ? `, on ${formatPercent(t.toxicity)} of connections` : '';
      if (t.type === 'down') return `the links ${linkWords(f.target, scenario)} are down ${until}: connections are refused and open ones closed.`;
      return `${t.type} toxic (${andList(attrs) || 'defaults'}, ${t.stream}${conns}) on the links ${linkWords(f.target, scenario)} ${until}: ${spec?.doc ?? 'see Toxiproxy'}.`;
    }
    case 'partition':
      return `every link between [${a.groups[0].join(', ')}] and [${a.groups[1].join(', ')}] is cut, both ways, ${until}.`;
    case 'security': {
      const who = f.target.kind === 'mesh' ? 'the whole mesh (mesh-wide PeerAuthentication)' : `${targetWords(f.target)} (its PeerAuthentication)`;
      return `${who} switches to mTLS ${a.mtls} ${until}, pushed by the control plane without a restart: ${MODE_EFFECT[a.mtls]}; connections made before are drained.`;
    }
    case 'cert-expire':
      return `${targetWords(f.target)}'s certificate is not renewed and runs out: it holds an expired certificate ${until}, so callers refuse it as a server (CERTIFICATE_VERIFY_FAILED) and servers refuse it as a client; ${f.forMs === null ? 'it is never renewed' : 'a fresh one is issued at the end'}.`;
    case 'root-rotation':
      return a.overlap
        ? `a new root CA: every trust bundle gets it beside the old one, every certificate is reissued under it over the window, then the old root is dropped ${until}: no handshake need fail.`
        : `a new root CA replaces the old one in every trust bundle at once, and certificates are reissued under it one by one over the window ${until}: until both ends of a call hold the new root's certificates, their handshakes fail (a certificate chains to a root no longer trusted: CERTIFICATE_VERIFY_FAILED).`;
    case 'clock-skew':
      return `${targetWords(f.target)}'s clock runs ${formatDuration(Math.abs(a.offsetMs))} ${a.offsetMs > 0 ? 'ahead' : 'behind'} ${until}: it judges its peers' certificates by it, so ${a.offsetMs > 0 ? 'those whose life ends sooner than that look expired' : 'certificates issued within that time look not yet valid'} and its handshakes fail both ways.`;
  }
}

const MODE_EFFECT: Readonly<Record<MtlsMode, string>> = {
  STRICT: 'plaintext callers are refused at the connection',
  PERMISSIVE: 'mutual TLS and plaintext callers are both let in',
  DISABLE: 'callers switch to plaintext and no identity is proven',
};

function httpEffect(h: HttpFault): string {
  const parts: string[] = [];
  if (h.abort) parts.push(`answers ${h.abort.status} to ${shareOf(h.abort.percent, 'request')}`);
  if (h.delay) parts.push(`holds ${shareOf(h.delay.percent, 'request')} ${formatLatency(h.delay.ms)} first`);
  return andList(parts);
}

function outboundEffect(h: HttpFault, to: string): string {
  const parts: string[] = [];
  if (h.abort) parts.push(`answers ${h.abort.status} to ${shareOf(h.abort.percent, 'request')} for ${to} without sending ${h.abort.percent >= 1 ? 'it' : 'them'}`);
  if (h.delay) parts.push(`holds ${shareOf(h.delay.percent, 'request')} for ${to} ${formatLatency(h.delay.ms)} before sending ${h.delay.percent >= 1 ? 'it' : 'them'}`);
  return andList(parts);
}

/** The subject of a sentence about a target: "store-1", "every instance of store", "front's calls to store". */
function targetWords(t: FaultTarget): string {
  switch (t.kind) {
    case 'instance':
      return t.instance;
    case 'service':
      return `every instance of ${t.service}`;
    case 'edge':
      return `${t.from === 'client' ? 'the load generator' : t.from}'s calls to ${t.toInstance ?? t.to}`;
    case 'mesh':
      return 'every instance';
  }
}

/** Which links a toxic sits on: every link from a caller's instances into the target. */
function linkWords(t: FaultTarget, scenario: Scenario): string {
  switch (t.kind) {
    case 'instance':
      return `into ${t.instance} (from ${andList(callersOf(t.service, scenario)) || 'nobody'})`;
    case 'service':
      return `into every instance of ${t.service} (from ${andList(callersOf(t.service, scenario)) || 'nobody'})`;
    case 'edge':
      return `from ${t.from === 'client' ? 'the load generator' : `${t.from}'s instances`} to ${t.toInstance ?? t.to}`;
    case 'mesh':
      return 'of the whole mesh';
  }
}

/** Toxiproxy's attributes are bare numbers in its units: say the unit. */
function unitSuffix(unit: string | undefined): string {
  if (!unit) return '';
  return unit === 'ms' || unit === 'µs' ? unit : ` ${unit}`;
}

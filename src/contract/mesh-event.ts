import type { ConnectionPool, DestinationPolicy, HttpFault, LoadBalancer } from './mesh-policy.ts';
import type { MtlsMode } from './security-policy.ts';

/**
What the mesh reports as it runs: every event a sidecar emits, typed, with its facts as fields.
The sidecar emits these, its admin endpoint serves them (`GET /events`, with a `message` from the
describer for people reading the stream), the collector gathers them, and verdicts, the live view
and the reports read their fields. No part reads words: `describeMeshEvent` (describe-mesh-event.ts)
turns an event into words, and only for people.
*/

/** Fields every mesh event has. */
export interface MeshEventBase {
  /** Sequence number within the reporting sidecar, from 1. */
  seq: number;
  /**
  When, in epoch ms on the run's clock: the clock `t0` (the run's second 0, pushed in every config)
  is written on, so `at - t0` is the time into the run.
  */
  at: number;
  /** The sidecar that reports it (for events about an upstream endpoint: the caller). */
  instance: string;
}

/** Why outlier detection ejected an endpoint, with Envoy's names (`OutlierEjectionType`). */
export type EjectionReason = 'consecutive_5xx' | 'consecutive_gateway_failure';

/** What outlier detection decided when it ejected an endpoint. */
export interface Ejection {
  reason: EjectionReason;
  /** The failures in a row that triggered it. */
  consecutive: number;
  /** The threshold that was reached. */
  threshold: number;
  lastStatus: number;
  /** min(base × multiplier, max): how long at least; it ends at the first sweep after that. */
  ejectionMs: number;
  timesEjected: number;
  multiplier: number;
}

/** Why an ejected endpoint came back (or left the ejected set). */
export type UnejectReason = 'ejection-time-elapsed' | 'health-check-passed' | 'endpoint-removed' | 'endpoint-replaced' | 'outlier-detection-disabled';

/**
How one active health check probe failed: a status other than 200 (fails the endpoint at once), or
a network failure (no connection, a reset, or no answer in time; counts toward unhealthyThreshold).
*/
export type ProbeFailure = { kind: 'status'; status: number } | { kind: 'network'; code: string } | { kind: 'timeout'; timeoutMs: number };

/**
How a mutual TLS handshake failed, by the Envoy counter it goes to: `fail_verify_error` (a
certificate that does not verify: expired, not yet valid, untrusted), `fail_verify_san` (another
identity), `fail_verify_no_cert` (none sent), `connection_error` (the rest: an alert received, a
protocol mismatch), `no_filter_chain_match` (plaintext into a STRICT listener).
*/
export type HandshakeFailureKind = 'fail_verify_error' | 'fail_verify_san' | 'fail_verify_no_cert' | 'connection_error' | 'no_filter_chain_match';

/** Events over a burst are coalesced: at most one per kind and cluster per interval, with the count. */
interface Coalesced {
  /** Occurrences reported by this event. */
  count: number;
  /** The interval they happened within, ms. */
  intervalMs: number;
}

/** The body of every mesh event, by type. `data` holds the facts; nothing else in it is words. */
export type MeshEventBody =
  /** A config push was applied. `changed` lists `t0`, `seed`, `app`, `zone`, `inbound` and `clusters.<name>`. */
  | { type: 'config-applied'; data: { version: number; previousVersion: number | null; changed: string[]; destinations: number } }
  /** A destination appears in the config. */
  | { type: 'cluster-added'; data: { cluster: string; endpoints: number; loadBalancer: LoadBalancer } }
  /** A destination leaves the config; requests in flight to it finish. */
  | { type: 'cluster-removed'; data: { cluster: string } }
  /** An endpoint joins a destination (`healthy`: as the control plane says). */
  | { type: 'endpoint-added'; data: { cluster: string; endpoint: string; address: string; healthy: boolean } }
  /** An endpoint leaves a destination; its requests in flight finish on their connections. */
  | { type: 'endpoint-removed'; data: { cluster: string; endpoint: string; address: string } }
  /** The same instance at a new address (restarted): a new host, with fresh outlier and health state. */
  | { type: 'endpoint-address-changed'; data: { cluster: string; endpoint: string; from: string; address: string; healthy: boolean } }
  /** The control plane's view of an endpoint changed. */
  | { type: 'endpoint-health-changed'; data: { cluster: string; endpoint: string; healthy: boolean } }
  /** A destination's policy or bulkhead changed (its fault: `fault-applied` / `fault-cleared`). */
  | { type: 'policy-changed'; data: { cluster: string; policy: DestinationPolicy; bulkhead: number | null } }
  /** An L7 fault is now in force at this sidecar: at its inbound (`cluster` null), or at its outbound toward `cluster`. */
  | { type: 'fault-applied'; data: { cluster: string | null; fault: HttpFault } }
  /** The L7 fault at this sidecar's inbound (`cluster` null) or toward `cluster` is over. */
  | { type: 'fault-cleared'; data: { cluster: string | null } }
  /** Outlier detection ejected an endpoint. `capped`: maxEjectionTime shortened it. */
  | { type: 'ejected'; data: Ejection & { cluster: string; endpoint: string; capped: boolean } }
  /** An ejected endpoint is back in the pool (or gone from it). */
  | { type: 'unejected'; data: { cluster: string; endpoint: string; reason: UnejectReason; ejectedMs: number } }
  /** An ejection maxEjectionPercent refused: `ejected` of `total` endpoints were out already. */
  | {
      type: 'ejection-skipped';
      data: { cluster: string; endpoint: string; reason: EjectionReason; consecutive: number; ejected: number; total: number; maxEjectionPercent: number };
    }
  /** An endpoint failed active health checking: it is not picked (outside panic). */
  | { type: 'health-check-failed'; data: { cluster: string; endpoint: string; path: string; failure: ProbeFailure; unhealthyThreshold: number } }
  /** An endpoint no longer fails active health checking: `healthyThreshold` probes passed, or the checks were turned off. */
  | { type: 'health-check-passed'; data: { cluster: string; endpoint: string; reason: 'checks-passed' | 'checks-off'; healthyThreshold: number | null } }
  /** The destination entered panic: too few healthy endpoints, so every endpoint is picked. */
  | { type: 'panic'; data: { cluster: string; healthy: number; total: number; panicThreshold: number } }
  /** The destination left panic. */
  | { type: 'panic-ended'; data: { cluster: string; healthy: number; total: number } }
  /** Retries the retry budget refused (`percent` null: the destination left the config meanwhile). */
  | { type: 'retry-budget-overflow'; data: Coalesced & { cluster: string; percent: number | null; minRetryConcurrency: number | null } }
  /** Retries connectionPool.maxRetries refused (no budget). */
  | { type: 'retry-overflow'; data: Coalesced & { cluster: string; maxRetries: number | null } }
  /** Requests the destination's circuit breaker refused (503 UO); `limits` null: the destination left the config meanwhile. */
  | { type: 'circuit-breaker-overflow'; data: Coalesced & { cluster: string; limits: ConnectionPool | null } }
  /** Requests this sidecar's bulkhead toward the destination refused (503 UO). */
  | { type: 'bulkhead-overflow'; data: Coalesced & { cluster: string; limit: number | null } }
  /** Requests into this pod its local rate limit refused (429 RL); null: the limit was removed meanwhile. */
  | { type: 'rate-limited'; data: Coalesced & { requestsPerSecond: number | null; burst: number | null } }
  /** This pod has its first certificate (times are epoch ms). */
  | { type: 'certificate-issued'; data: { spiffeId: string; serial: string; notBefore: number; notAfter: number; root: string } }
  /**
  This pod has a new certificate (renewed, reissued under a new root, or an expired one
  pushed by a certExpire fault). Times are epoch ms; `previousSerial` null for the first.
  */
  | {
      type: 'certificate-rotated';
      data: { spiffeId: string; serial: string; notBefore: number; notAfter: number; root: string; previousSerial: string | null };
    }
  /** The roots this pod trusts changed (fingerprints): a root rotation adds one, ends an overlap, or replaces the bundle. */
  | { type: 'trust-bundle-changed'; data: { roots: string[]; previous: string[] } }
  /** What this pod's inbound listener accepts changed (PeerAuthentication); its connections made before are drained. */
  | { type: 'mtls-mode-changed'; data: { mode: MtlsMode; previous: MtlsMode } }
  /**
  Mutual TLS handshakes that failed: at this pod's inbound (`cluster` null; plaintext refused by
  STRICT is kind `no_filter_chain_match`) or toward an endpoint of `cluster`. Coalesced per
  direction, destination and kind; `reason` and `detail` are the last one's.
  */
  | {
      type: 'handshake-failed';
      data: Coalesced & { cluster: string | null; endpoint: string | null; kind: HandshakeFailureKind; reason: string; detail: string };
    }
  /**
  Requests into this pod an authorization policy refused (403 `RBAC: access denied`): `policy` is
  Envoy's name of the rule that matched (`ns[default]-policy[deny-x]-rule[0]`), `none` when ALLOW
  policies exist and none matched; `source` the caller's SPIFFE ID, null for a plaintext caller.
  Coalesced per policy and source; `method` and `path` are the last one's.
  */
  | { type: 'authorization-denied'; data: Coalesced & { policy: string; source: string | null; method: string; path: string } }
  /** Requests into this pod the rate-limit service said were over a quota of `domain` (429 RL). */
  | { type: 'quota-limited'; data: Coalesced & { domain: string } }
  /**
  Requests into this pod for which the rate-limit service gave no answer in time (down, paused, slow):
  let through (`failureMode: allow`) or refused with 500 RLSE (`deny`); `reason` is the last failure's.
  */
  | { type: 'rate-limit-service-error'; data: Coalesced & { failureMode: 'allow' | 'deny'; reason: string; timeoutMs: number } };

/** A mesh event as the parts exchange it. */
export type MeshEvent = MeshEventBase & MeshEventBody;

export type MeshEventType = MeshEventBody['type'];

/** Every type, once (the table makes the compiler check that none is missing). */
const TYPES: Readonly<Record<MeshEventType, true>> = {
  'config-applied': true,
  'cluster-added': true,
  'cluster-removed': true,
  'endpoint-added': true,
  'endpoint-removed': true,
  'endpoint-address-changed': true,
  'endpoint-health-changed': true,
  'policy-changed': true,
  'fault-applied': true,
  'fault-cleared': true,
  ejected: true,
  unejected: true,
  'ejection-skipped': true,
  'health-check-failed': true,
  'health-check-passed': true,
  panic: true,
  'panic-ended': true,
  'retry-budget-overflow': true,
  'retry-overflow': true,
  'circuit-breaker-overflow': true,
  'bulkhead-overflow': true,
  'rate-limited': true,
  'certificate-issued': true,
  'certificate-rotated': true,
  'trust-bundle-changed': true,
  'mtls-mode-changed': true,
  'handshake-failed': true,
  'authorization-denied': true,
  'quota-limited': true,
  'rate-limit-service-error': true,
};

export const MESH_EVENT_TYPES: readonly MeshEventType[] = Object.keys(TYPES) as MeshEventType[];

/** The event of one type. */
export type MeshEventOf<T extends MeshEventType> = MeshEventBase & Extract<MeshEventBody, { type: T }>;

/** What `GET /events` serves: each event with the describer's words, for people reading the stream. */
export type MeshEventRecord = MeshEvent & { message: string };

/** A mesh event as it arrives from the admin stream: the words dropped, so nothing downstream can read them. */
export function fromRecord(record: MeshEventRecord | MeshEvent): MeshEvent {
  if (!('message' in record)) return record;
  const { message: _words, ...event } = record;
  return event as MeshEvent;
}

/** Event types that only describe the initial configuration: the live views leave them out (plain lines show them with --verbose, the HTML report's event list never). */
export const SETUP_EVENT_TYPES: ReadonlySet<MeshEventType> = new Set<MeshEventType>(['config-applied', 'cluster-added', 'endpoint-added', 'certificate-issued']);

/** The upstream instance an event is about (`data.endpoint`), or null for events about no endpoint. */
export function endpointOf(event: MeshEvent): string | null {
  return 'endpoint' in event.data ? event.data.endpoint : null;
}

/** The destination an event is about (`data.cluster`), or null for events about this pod itself (its inbound, its config). */
export function clusterOf(event: MeshEvent): string | null {
  return 'cluster' in event.data ? event.data.cluster : null;
}

/**
What the parts exchange about global rate limiting: the rate-limit service's configuration (the
model of envoyproxy/ratelimit: a domain, nested descriptors, limits per unit), the request and
response of its HTTP `/json` endpoint (the proto3 JSON of Envoy's rls.proto v3, which
envoyproxy/ratelimit answers on its HTTP port), and what a sidecar needs to consult it.
*/

/** The units a limit may be written in (envoyproxy/ratelimit also knows week, month and year). */
export const RATE_LIMIT_UNITS = ['second', 'minute', 'hour', 'day'] as const;
export type RateLimitUnit = (typeof RATE_LIMIT_UNITS)[number];

/** Seconds in each unit: a fixed window starts at (now / unit) × unit. */
export const UNIT_SECONDS: Readonly<Record<RateLimitUnit, number>> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/** envoyproxy/ratelimit's configuration file, with its field names. */
export interface RlsConfig {
  domain: string;
  descriptors: RlsDescriptor[];
}

export interface RlsDescriptor {
  key: string;
  /** Absent: one counter per distinct value of the key. */
  value?: string;
  /** Absent with no children: the descriptor is not limited. */
  rate_limit?: { unit: RateLimitUnit; requests_per_unit: number } | { unlimited: true };
  /** Counted and reported, never refused. */
  shadow_mode?: boolean;
  descriptors?: RlsDescriptor[];
}

/** One descriptor of a request: key/value entries, in order. */
export interface RequestDescriptor {
  entries: { key: string; value: string }[];
}

/** `POST /json`: the RateLimitRequest of rls.proto, as proto3 JSON. */
export interface RateLimitRequest {
  domain: string;
  descriptors: RequestDescriptor[];
  /** How many hits this request counts for. Default 1. */
  hitsAddend?: number;
}

export type RateLimitCode = 'OK' | 'OVER_LIMIT';

/** The answer: 200 when every descriptor is within its limit, 429 when one is over. */
export interface RateLimitResponse {
  overallCode: RateLimitCode;
  statuses: DescriptorStatus[];
}

export interface DescriptorStatus {
  code: RateLimitCode;
  /** Absent when no rule matched the descriptor (not limited). */
  currentLimit?: { requestsPerUnit: number; unit: Uppercase<RateLimitUnit> };
  limitRemaining?: number;
  /** Until the window ends, as a proto3 JSON Duration ("0.250s"). */
  durationUntilReset?: string;
}

/**
How a sidecar builds one descriptor from a request (Envoy's rate_limits actions): each entry's key
and where its value comes from. A descriptor whose header is absent is not sent (Envoy skips the
whole descriptor when an action cannot produce its entry).
*/
export type DescriptorAction =
  /** A fixed entry (Envoy's generic_key). */
  | { kind: 'fixed'; key: string; value: string }
  /** The value of a request header (Envoy's request_headers). */
  | { kind: 'header'; key: string; header: string }
  /** The request path as sent, query included (request_headers on :path). */
  | { kind: 'path'; key: string };

/** What a sidecar's inbound needs to consult the rate-limit service. */
export interface GlobalRateLimit {
  /**
  The service's HTTP port (its `/json` endpoint). `authority`: the Host to name when it is dialled
  by address but answers to a name (`ratelimit:8080` on a run's Docker network); absent = host:port.
  */
  address: RateLimitServiceAddress;
  domain: string;
  /** Longest wait for an answer; past it, `failureMode` decides (Envoy's 20ms default). */
  timeoutMs: number;
  /** When the service cannot answer in time: let the request through, or answer 500 (flag RLSE). */
  failureMode: 'allow' | 'deny';
  /** The descriptors each request sends, one list of actions each. */
  descriptors: DescriptorAction[][];
}

/** The descriptor keys meshproof's quotas use (Envoy's own names where it has them). */
export const DESCRIPTOR_KEYS = {
  /** The service being called (Envoy's destination_cluster action). */
  service: 'destination_cluster',
  /** The calling service, from `x-envoy-downstream-service-cluster` (the key Envoy's docs use for it). */
  caller: 'client_cluster',
  /** The request path. */
  path: 'path',
} as const;

/** The header the calling sidecar names its service in (Envoy's add_user_agent). */
export const CALLER_HEADER = 'x-envoy-downstream-service-cluster';

/**
The run's rate-limit service, when the plan has quotas: where the harness reaches it (`url`: config
pushes, stats, timeline) and where the sidecars send their decisions (`address`: the same on the
local runtime, its name on the run's network on Docker). The runtime updates both in place when a
process fault starts it again.
*/
export interface RunningRateLimitService {
  url: string;
  address: RateLimitServiceAddress;
}

/** Where sidecars dial the rate-limit service, and the Host they name (absent = host:port). */
export interface RateLimitServiceAddress {
  host: string;
  port: number;
  authority?: string;
}

/** The name of the rate-limit service's instance: the target of process faults, in events and reports. */
export const RATE_LIMIT_SERVICE_INSTANCE = 'ratelimit';

/**
The key a rule's counters and stats go under (envoyproxy/ratelimit's statistic path): the domain,
then each descriptor of the rule's path as `key_value`, or `key` alone for one without a value:
`shop.destination_cluster_orders.client_cluster`.
*/
export function ruleKey(domain: string, path: readonly { key: string; value?: string }[]): string {
  return [domain, ...path.map((d) => (d.value === undefined ? d.key : `${d.key}_${d.value}`))].join('.');
}

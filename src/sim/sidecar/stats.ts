/**
Counters and gauges with Envoy's names. The request path increments plain fields; names and the
JSON / Prometheus forms are made only when the admin endpoint is read.
*/

/** The kinds of failed handshake, counted by `SslStats.fail`. */
export type SslFailureKind = 'connection_error' | 'fail_verify_error' | 'fail_verify_san' | 'fail_verify_no_cert' | 'no_filter_chain_match';

/**
Envoy's TLS statistics (`ssl.handshake`, `ssl.connection_error`, `ssl.fail_verify_error`,
`ssl.fail_verify_san`, `ssl.fail_verify_no_cert`), for a listener and for a cluster alike;
`no_filter_chain_match` is the listener's count of connections no filter chain took (plaintext into STRICT).
*/
export class SslStats {
  handshake = 0;
  connection_error = 0;
  fail_verify_error = 0;
  fail_verify_san = 0;
  fail_verify_no_cert = 0;
  no_filter_chain_match = 0;

  fail(kind: SslFailureKind): void {
    this[kind]++;
  }
}

const SSL_COUNTERS = ['handshake', 'connection_error', 'fail_verify_error', 'fail_verify_san', 'fail_verify_no_cert'] as const;

/** Per destination cluster, as `cluster.<name>.<counter>` (Envoy's cluster statistics). */
export class ClusterStats {
  /** Mutual TLS toward this destination (`cluster.<name>.ssl.*`). */
  readonly ssl = new SslStats();
  /** Tries sent (first tries and retries). */
  upstream_rq_total = 0;
  /** Tries that got a full response or failed. */
  upstream_rq_completed = 0;
  upstream_rq_retry = 0;
  /** Requests that ended with a non-retriable answer to a retry. */
  upstream_rq_retry_success = 0;
  /** Retries refused by the retry budget. */
  upstream_rq_retry_overflow = 0;
  /** Requests whose last try was retriable but no retry was left. */
  upstream_rq_retry_limit_exceeded = 0;
  /** Whole-request timeouts. */
  upstream_rq_timeout = 0;
  /** Of those, the ones whose timer was the caller's propagated deadline (flag DE); meshproof's counter. */
  upstream_rq_deadline_exceeded = 0;
  upstream_rq_per_try_timeout = 0;
  /** Resets before a full response (Envoy's upstream_rq_rx_reset). */
  upstream_rq_rx_reset = 0;
  upstream_cx_total = 0;
  upstream_cx_connect_fail = 0;
  /** Requests that found no healthy host. */
  upstream_cx_none_healthy = 0;
  /** Tries that had to wait for a connection (maxConnections reached). */
  upstream_rq_pending_total = 0;
  /** Tries refused by maxPendingRequests or maxRequests (503 UO, as Envoy counts both). */
  upstream_rq_pending_overflow = 0;
  /** Times a try needed a connection and maxConnections said no (it then waited, or overflowed). */
  upstream_cx_overflow = 0;
  /** Requests refused by the caller's bulkhead for this destination (503 UO). */
  bulkhead_overflow = 0;
  /** Picks made in panic mode (Envoy's lb_healthy_panic). */
  lb_healthy_panic = 0;
  // outlier_detection.*
  od_ejections_enforced_total = 0;
  od_ejections_enforced_consecutive_5xx = 0;
  od_ejections_enforced_consecutive_gateway_failure = 0;
  od_ejections_detected_consecutive_5xx = 0;
  od_ejections_detected_consecutive_gateway_failure = 0;
  /** Ejections not made because maxEjectionPercent would have been exceeded. */
  od_ejections_overflow = 0;
  // health_check.*
  hc_attempt = 0;
  hc_success = 0;
  hc_failure = 0;
  hc_network_failure = 0;
  /** By status code; local failures count as Envoy charges them (503 for connect failure and reset, 504 for timeouts). */
  readonly byCode = new Map<number, number>();
  /** Tries in flight (gauge). */
  upstream_rq_active = 0;
  /** Requests routed to this cluster and not finished, including those waiting out a back-off (gauge). */
  rq_active = 0;
  /** Retries in progress, from the decision to retry until that try's outcome (gauge). */
  rq_retry_active = 0;

  countCode(status: number): void {
    this.byCode.set(status, (this.byCode.get(status) ?? 0) + 1);
  }
}

/** Per listener (`http.inbound.*`, `http.outbound.*`), as Envoy's HTTP connection manager statistics. */
export class ListenerStats {
  downstream_rq_total = 0;
  /** Index 1..5: 1xx..5xx. */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  /** Requests the caller abandoned before the response ended. */
  downstream_rq_rx_reset = 0;
  /** Outbound only: the Host named no known destination. */
  no_route = 0;
  /** Outbound only: no config from the control plane yet. */
  no_config = 0;
  /** Outbound only: requests to a host the mesh does not know, answered 502 under REGISTRY_ONLY (Istio's BlackHoleCluster). */
  blackhole = 0;
  /** L7 faults injected at this listener (Envoy's fault filter stats). */
  fault_delays_injected = 0;
  fault_aborts_injected = 0;
  /** Inbound only: the local rate limit (Envoy's http_local_rate_limit stats). */
  local_rate_limit_ok = 0;
  local_rate_limit_rate_limited = 0;
  /** Inbound only: active health check requests received (user agent Envoy/HC); not recorded in the timeline. */
  health_check = 0;
  /** Inbound only: mutual TLS handshakes (`ssl.*`) and connections refused by STRICT (`no_filter_chain_match`). */
  readonly ssl = new SslStats();
  /** Inbound only: authorization (Envoy's RBAC filter `rbac.allowed`, `rbac.denied`; `rbac.logged` for AUDIT policies that matched). */
  rbac_allowed = 0;
  rbac_denied = 0;
  rbac_logged = 0;
  /** Inbound only: requests ended because the deadline they carried had passed (504, flags UT and DE; `deadlines: propagate`). */
  deadline_exceeded = 0;
  /** Inbound only: the global rate limit (Envoy's ratelimit filter stats: ok, over_limit, error, failure_mode_allowed). */
  ratelimit_ok = 0;
  ratelimit_over_limit = 0;
  ratelimit_error = 0;
  ratelimit_failure_mode_allowed = 0;
  /** Gauge. */
  downstream_rq_active = 0;

  countStatus(status: number): void {
    const c = (status / 100) | 0;
    if (c >= 1 && c <= 5) this.byClass[c]++;
  }
}

export interface ConfigStats {
  update_success: number;
  update_rejected: number;
  /** Pushes ignored because their version was not newer. */
  update_stale: number;
  version: number;
}

export interface StatsSnapshot {
  instance: string;
  service: string;
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

/** One metric sample, in a form both /stats and /stats/prometheus are made from. */
interface Sample {
  /** Envoy-style dotted name, e.g. `cluster.payments.upstream_rq_503`. */
  key: string;
  /** Prometheus metric name and labels, e.g. `meshproof_cluster_upstream_rq`, `{cluster="payments",response_code="503"}`. */
  metric: string;
  labels: string;
  value: number;
  gauge: boolean;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** [field, Envoy name] of the cluster counters whose names are not valid identifiers. */
const DOTTED_CLUSTER_COUNTERS = [
  ['od_ejections_enforced_total', 'outlier_detection.ejections_enforced_total'],
  ['od_ejections_enforced_consecutive_5xx', 'outlier_detection.ejections_enforced_consecutive_5xx'],
  ['od_ejections_enforced_consecutive_gateway_failure', 'outlier_detection.ejections_enforced_consecutive_gateway_failure'],
  ['od_ejections_detected_consecutive_5xx', 'outlier_detection.ejections_detected_consecutive_5xx'],
  ['od_ejections_detected_consecutive_gateway_failure', 'outlier_detection.ejections_detected_consecutive_gateway_failure'],
  ['od_ejections_overflow', 'outlier_detection.ejections_overflow'],
  ['hc_attempt', 'health_check.attempt'],
  ['hc_success', 'health_check.success'],
  ['hc_failure', 'health_check.failure'],
  ['hc_network_failure', 'health_check.network_failure'],
] as const;

const CLUSTER_COUNTERS = [
  'upstream_rq_pending_total',
  'upstream_rq_pending_overflow',
  'upstream_cx_overflow',
  'bulkhead_overflow',
  'lb_healthy_panic',
  'upstream_rq_total',
  'upstream_rq_completed',
  'upstream_rq_retry',
  'upstream_rq_retry_success',
  'upstream_rq_retry_overflow',
  'upstream_rq_retry_limit_exceeded',
  'upstream_rq_timeout',
  'upstream_rq_deadline_exceeded',
  'upstream_rq_per_try_timeout',
  'upstream_rq_rx_reset',
  'upstream_cx_total',
  'upstream_cx_connect_fail',
  'upstream_cx_none_healthy',
] as const;
/** [field, Envoy name] of the global rate limit's counters at the inbound. */
const INBOUND_RATELIMIT_COUNTERS = [
  ['ratelimit_ok', 'ok'],
  ['ratelimit_over_limit', 'over_limit'],
  ['ratelimit_error', 'error'],
  ['ratelimit_failure_mode_allowed', 'failure_mode_allowed'],
] as const;

const CLUSTER_GAUGES = ['upstream_rq_active', 'rq_active', 'rq_retry_active'] as const;

/** Prometheus-safe form of an Envoy dotted name. */
function metricName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

export interface StatsSources {
  /** Each cluster's counters, and gauges read from its live state (membership, pending, ejections…) by Envoy name. */
  clusters: Iterable<[string, ClusterStats, Record<string, number>]>;
  listeners: Iterable<[string, ListenerStats]>;
  config: ConfigStats;
  /** Span export counters, when tracing is on. */
  tracing?: Record<string, number> | null;
  /** The process's own figures (event-loop delay), as `server.<name>` gauges; absent when not measured. */
  server?: Record<string, number> | null;
}

function collect(src: StatsSources): Sample[] {
  const out: Sample[] = [];
  for (const [name, s, gauges] of src.clusters) {
    const l = `cluster="${escapeLabel(name)}"`;
    for (const c of CLUSTER_COUNTERS) out.push({ key: `cluster.${name}.${c}`, metric: `meshproof_cluster_${c}`, labels: `{${l}}`, value: s[c], gauge: false });
    for (const [f, n] of DOTTED_CLUSTER_COUNTERS) out.push({ key: `cluster.${name}.${n}`, metric: `meshproof_cluster_${metricName(n)}`, labels: `{${l}}`, value: s[f], gauge: false });
    const classes = [0, 0, 0, 0, 0, 0];
    for (const [code, n] of [...s.byCode].sort((a, b) => a[0] - b[0])) {
      out.push({ key: `cluster.${name}.upstream_rq_${code}`, metric: 'meshproof_cluster_upstream_rq', labels: `{${l},response_code="${code}"}`, value: n, gauge: false });
      const c = (code / 100) | 0;
      if (c >= 1 && c <= 5) classes[c] += n;
    }
    for (let c = 1; c <= 5; c++) {
      if (classes[c] > 0) out.push({ key: `cluster.${name}.upstream_rq_${c}xx`, metric: 'meshproof_cluster_upstream_rq_xx', labels: `{${l},response_code_class="${c}"}`, value: classes[c], gauge: false });
    }
    for (const c of SSL_COUNTERS) out.push({ key: `cluster.${name}.ssl.${c}`, metric: `meshproof_cluster_ssl_${c}`, labels: `{${l}}`, value: s.ssl[c], gauge: false });
    for (const g of CLUSTER_GAUGES) out.push({ key: `cluster.${name}.${g}`, metric: `meshproof_cluster_${g}`, labels: `{${l}}`, value: s[g], gauge: true });
    for (const [g, v] of Object.entries(gauges)) out.push({ key: `cluster.${name}.${g}`, metric: `meshproof_cluster_${metricName(g)}`, labels: `{${l}}`, value: v, gauge: true });
  }
  for (const [name, s] of src.listeners) {
    const l = `{listener="${escapeLabel(name)}"}`;
    out.push({ key: `http.${name}.downstream_rq_total`, metric: 'meshproof_http_downstream_rq_total', labels: l, value: s.downstream_rq_total, gauge: false });
    for (let c = 1; c <= 5; c++) {
      out.push({ key: `http.${name}.downstream_rq_${c}xx`, metric: 'meshproof_http_downstream_rq_xx', labels: `{listener="${escapeLabel(name)}",response_code_class="${c}"}`, value: s.byClass[c], gauge: false });
    }
    out.push({ key: `http.${name}.downstream_rq_rx_reset`, metric: 'meshproof_http_downstream_rq_rx_reset', labels: l, value: s.downstream_rq_rx_reset, gauge: false });
    if (name === 'outbound' || name === 'gateway') {
      out.push({ key: `http.${name}.no_route`, metric: 'meshproof_http_no_route', labels: l, value: s.no_route, gauge: false });
      out.push({ key: `http.${name}.no_config`, metric: 'meshproof_http_no_config', labels: l, value: s.no_config, gauge: false });
    }
    if (name === 'outbound') out.push({ key: `http.${name}.blackhole`, metric: 'meshproof_http_blackhole', labels: l, value: s.blackhole, gauge: false });
    out.push({ key: `http.${name}.fault.delays_injected`, metric: 'meshproof_http_fault_delays_injected', labels: l, value: s.fault_delays_injected, gauge: false });
    out.push({ key: `http.${name}.fault.aborts_injected`, metric: 'meshproof_http_fault_aborts_injected', labels: l, value: s.fault_aborts_injected, gauge: false });
    if (name === 'inbound' || name === 'gateway') {
      out.push({ key: `http.${name}.local_rate_limit.ok`, metric: 'meshproof_http_local_rate_limit_ok', labels: l, value: s.local_rate_limit_ok, gauge: false });
      out.push({ key: `http.${name}.local_rate_limit.rate_limited`, metric: 'meshproof_http_local_rate_limit_rate_limited', labels: l, value: s.local_rate_limit_rate_limited, gauge: false });
      out.push({ key: `http.${name}.health_check`, metric: 'meshproof_http_health_check', labels: l, value: s.health_check, gauge: false });
      for (const c of [...SSL_COUNTERS, 'no_filter_chain_match'] as const) out.push({ key: `http.${name}.ssl.${c}`, metric: `meshproof_http_ssl_${c}`, labels: l, value: s.ssl[c], gauge: false });
      for (const c of ['allowed', 'denied', 'logged'] as const) out.push({ key: `http.${name}.rbac.${c}`, metric: `meshproof_http_rbac_${c}`, labels: l, value: s[`rbac_${c}`], gauge: false });
      out.push({ key: `http.${name}.deadline_exceeded`, metric: 'meshproof_http_deadline_exceeded', labels: l, value: s.deadline_exceeded, gauge: false });
      for (const [f, n] of INBOUND_RATELIMIT_COUNTERS) out.push({ key: `http.${name}.ratelimit.${n}`, metric: `meshproof_http_ratelimit_${n}`, labels: l, value: s[f], gauge: false });
    }
    out.push({ key: `http.${name}.downstream_rq_active`, metric: 'meshproof_http_downstream_rq_active', labels: l, value: s.downstream_rq_active, gauge: true });
  }
  const c = src.config;
  out.push({ key: 'config.update_success', metric: 'meshproof_config_update_success', labels: '', value: c.update_success, gauge: false });
  out.push({ key: 'config.update_rejected', metric: 'meshproof_config_update_rejected', labels: '', value: c.update_rejected, gauge: false });
  out.push({ key: 'config.update_stale', metric: 'meshproof_config_update_stale', labels: '', value: c.update_stale, gauge: false });
  out.push({ key: 'config.version', metric: 'meshproof_config_version', labels: '', value: c.version, gauge: true });
  for (const [k, v] of Object.entries(src.server ?? {})) out.push({ key: `server.${k}`, metric: `meshproof_server_${metricName(k)}`, labels: '', value: v, gauge: true });
  for (const [k, v] of Object.entries(src.tracing ?? {})) out.push({ key: `tracing.${k}`, metric: `meshproof_tracing_${k}`, labels: '', value: v, gauge: false });
  return out;
}

/** `GET /stats`: flat maps of Envoy-style names to values. */
export function statsJson(instance: string, service: string, src: StatsSources): StatsSnapshot {
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  for (const s of collect(src)) (s.gauge ? gauges : counters)[s.key] = s.value;
  return { instance, service, counters, gauges };
}

/**
`GET /stats/prometheus`: text exposition format 0.0.4. Names follow Envoy's Prometheus output with a
`meshproof_` prefix; the cluster, listener and status code are labels.
*/
export function statsPrometheus(src: StatsSources): string {
  const byMetric = new Map<string, Sample[]>();
  for (const s of collect(src)) {
    let l = byMetric.get(s.metric);
    if (!l) byMetric.set(s.metric, (l = []));
    l.push(s);
  }
  const lines: string[] = [];
  for (const [metric, samples] of byMetric) {
    lines.push(`# TYPE ${metric} ${samples[0].gauge ? 'gauge' : 'counter'}`);
    for (const s of samples) lines.push(`${metric}${s.labels} ${s.value}`);
  }
  return lines.join('\n') + '\n';
}

import type { RetryPolicy } from '../../contract/mesh-policy.ts';
import type { Clock, TimerHandle } from '../../util/clock.ts';
import type { Random } from '../../util/random.ts';
import type { Recorder } from '../../contract/series.ts';
import { backoffDelayMs } from '../policy/backoff.ts';
import type { RetryBudget } from '../policy/retry-budget.ts';
import { decideRetry, isRetriable, type RetryConditions, type RetryDecision, type TryOutcome } from '../policy/retry-policy.ts';
import { effectiveTimeout, expectedTimeout, giveUpAt } from '../policy/deadline.ts';
import type { PoolWaiter } from '../policy/circuit-breaker.ts';
import type { ClusterState, HostSet } from './cluster.ts';
import { OVERLOADED, type Exchange } from './exchange.ts';
import type { Handler } from './filter.ts';
import { Flag, flagsToString } from './flags.ts';
import { copyRawHeaders, OUTBOUND_REQUEST_OWN, RESPONSE_OWN } from './headers.ts';
import { responseHeaders, tryErrorCode } from './upstream-pool.ts';
import { classifyHandshakeError, transportFailureReason } from '../../security/handshake-failure.ts';
import type { SpanSink } from '../../contract/span-sink.ts';
import { markPolicy } from './spans.ts';
import { formatTraceparent, newSpanId } from '../../contract/trace-context.ts';
import { UpstreamTry, type ResponseHeaders, type TryFailure, type TryHandler } from './upstream-try.ts';

/** What the router needs from the sidecar around it. */
export interface RouterContext {
  readonly clock: Clock;
  /** Wall-clock epoch ms, for the give-up time sent on each try. */
  readonly now: () => number;
  /** This sidecar's service: sent on each try as `x-envoy-downstream-service-cluster`. */
  readonly service: string;
  readonly random: Random;
  readonly recorder: Recorder;
  /** Where spans go when tracing is on; null = off. */
  readonly spans: SpanSink | null;
  /** Requests being routed, so `close()` can end them. */
  readonly inFlight: Set<RoutedRequest>;
  /** True once the sidecar is closing: no new try starts. */
  readonly closing: boolean;
  /** A retry was refused by the cluster's retry budget, or by connectionPool.maxRetries when there is no budget. */
  onRetryOverflow(cluster: ClusterState): void;
  /** A try was refused by the cluster's circuit breakers (maxPendingRequests or maxRequests). */
  onBreakerOverflow(cluster: ClusterState): void;
}

/** The header a callee's sidecar puts on a 403 its authorization decided, naming the policy (as Envoy's response code details do). */
export const DENIED_BY = 'x-meshproof-denied-by';

/** Bodies are buffered so a retry can replay them; beyond this the request is refused (413). */
export const MAX_BUFFERED_BODY = 16 * 1024 * 1024;

function attemptsText(n: number): string {
  return n === 1 ? 'after 1 attempt' : `after ${n} attempts`;
}

/** True when the upstream marked its answer as one that must not be retried. */
function neverRetry(headers: ResponseHeaders): boolean {
  return headers.get('x-envoy-overloaded') !== undefined || headers.get('x-envoy-ratelimited') !== undefined;
}

/**
The outbound terminal handler: buffers the request body (so tries can replay it), then routes it
to `ex.cluster`, which a filter before it has resolved. A request without a body is complete on
arrival and is routed at once.
*/
export function routerHandler(ctx: RouterContext): Handler {
  return (ex) => {
    if (!ex.hasBody) {
      new RoutedRequest(ctx, ex, ex.cluster!, null).start();
      return;
    }
    const req = ex.req;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BUFFERED_BODY) {
        refused = true;
        ex.sendLocalReply(413, 0, `request body over ${MAX_BUFFERED_BODY} bytes: the sidecar buffers bodies to replay them on retry`);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused || ex.res.destroyed) return;
      const body = size === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      new RoutedRequest(ctx, ex, ex.cluster!, body).start();
    });
  };
}

/**
One request of the app to a destination, through every try until the answer goes back: Envoy's
router filter. Whole-request timeout over all tries and back-offs; per-try timeout; retries on the
policy's conditions with full-jitter back-off, within the retry budget; deadline and trace headers
on every try.
*/
export class RoutedRequest implements TryHandler, PoolWaiter {
  private readonly ctx: RouterContext;
  private readonly ex: Exchange;
  private readonly cluster: ClusterState;
  private readonly body: Buffer | null;
  /** The policy as it was when the request arrived; a push does not change a request in flight. */
  private readonly retries: RetryPolicy | null;
  private readonly timeoutMs: number | null;
  /** The whole-request timer is the caller's propagated deadline (shorter than the policy's timeout): its expiry is flagged DE. */
  private fromDeadline = false;
  private readonly conditions: RetryConditions | null;
  private readonly budget: RetryBudget | null;
  private baseHeaders: string[] = [];
  private deadline = Infinity;
  private wholeTimer: TimerHandle | null = null;
  private tryTimer: TimerHandle | null = null;
  private backoffTimer: TimerHandle | null = null;
  private current: UpstreamTry | null = null;
  private retriesDone = 0;
  private holdsRetry = false;
  /** Flags earned on the way (URX, UO) that go with whatever answer the app gets. */
  private flags = 0;
  private committed = false;
  private done = false;
  /** The version a traffic split sent this request to (its retries stay in it); null without a split. */
  private version: string | null = null;
  /** Queued for a connection (circuit breaker: maxConnections reached). */
  waiting = false;

  constructor(ctx: RouterContext, ex: Exchange, cluster: ClusterState, body: Buffer | null) {
    this.ctx = ctx;
    this.ex = ex;
    this.cluster = cluster;
    this.body = body;
    this.retries = cluster.policy.retries;
    // deadlines: propagate honours the deadline the app passed on (Envoy's respect_expected_rq_timeout),
    // but only ever to shorten the policy's timeout.
    const eff = effectiveTimeout(cluster.policy.timeoutMs, cluster.policy.deadlines === 'propagate' ? ex.expectedTimeoutMs : null);
    this.timeoutMs = eff.ms;
    this.fromDeadline = eff.fromDeadline;
    this.conditions = cluster.retryConditions;
    this.budget = cluster.budget;
  }

  start(): void {
    const { ctx, ex, cluster } = this;
    cluster.stats.rq_active++;
    ctx.inFlight.add(this);
    this.version = cluster.chooseVersion(ex.req.rawHeaders);
    ex.onDownstreamAbort(() => this.onDownstreamAbort());
    const headers = copyRawHeaders(ex.req.rawHeaders, OUTBOUND_REQUEST_OWN);
    if (this.body) headers.push('content-length', String(this.body.length));
    else if (ex.req.method !== 'GET' && ex.req.method !== 'HEAD') headers.push('content-length', '0');
    this.baseHeaders = headers;
    const t = this.timeoutMs;
    if (t !== null && t <= 0) {
      // A caller with no time left: nothing is sent.
      cluster.stats.upstream_rq_timeout++;
      cluster.stats.upstream_rq_deadline_exceeded++;
      markPolicy(ex, 'deadline');
      return this.replyLocal(504, Flag.UT | Flag.DE, `upstream request timeout (deadline: the caller had no time left, x-envoy-expected-rq-timeout-ms 0) before any attempt`);
    }
    if (t !== null) {
      // Envoy starts the route timeout once the whole downstream request has arrived: now.
      this.deadline = ctx.clock.now() + t;
      this.wholeTimer = ctx.clock.setTimeout(() => this.onWholeTimeout(), t);
    }
    this.sendTry();
  }

  /**
  Starts a try: no host to pick gives 503 UH (not retried); otherwise the circuit breakers decide
  whether it gets a connection now, waits for one (pending), or is refused (503 UO).
  */
  private sendTry(): void {
    if (this.done) return;
    const { ctx, cluster } = this;
    const set = ctx.closing ? undefined : cluster.hostSet(this.version);
    if (!set || !set.available) return this.noHealthyUpstream(set);
    switch (cluster.breaker.admit(this)) {
      case 'connect':
        return this.dispatch();
      case 'pending':
        cluster.stats.upstream_cx_overflow++;
        cluster.stats.upstream_rq_pending_total++;
        return;
      case 'overflow-pending':
        cluster.stats.upstream_cx_overflow++;
        return this.overflow('pending');
    }
  }

  /** The circuit breaker dequeued this request: a connection is free for it. */
  onConnectionAvailable(): void {
    if (this.done) return;
    this.dispatch();
  }

  private noHealthyUpstream(set: HostSet | undefined): void {
    const { ctx, cluster } = this;
    cluster.stats.upstream_cx_none_healthy++;
    let why: string;
    if (ctx.closing) why = 'sidecar shutting down';
    else if (this.version !== null && (!set || !set.hasEndpoints)) why = `no healthy upstream for ${cluster.name}: no endpoint of version ${this.version} (traffic split)`;
    else {
      const scope = this.version === null ? '' : ` version ${this.version}`;
      why = `no healthy upstream for ${cluster.name}${scope}: ${cluster.healthy.length} of ${cluster.endpoints.length} endpoint(s) healthy`;
    }
    this.replyLocal(503, Flag.UH, why);
  }

  /** Refused by a circuit breaker: 503 UO with x-envoy-overloaded; never retried, never charged to a host. */
  private overflow(kind: 'pending' | 'requests'): void {
    const c = this.cluster;
    c.stats.upstream_rq_pending_overflow++;
    markPolicy(this.ex, 'circuit-breaker');
    this.ctx.onBreakerOverflow(c);
    const lim = c.breaker.limits;
    const why =
      kind === 'pending'
        ? `${c.breaker.connections} connection(s) busy (connectionPool.maxConnections = ${lim.maxConnections}) and ${c.breaker.pending} request(s) already waiting (maxPendingRequests = ${lim.maxPendingRequests})`
        : `${c.breaker.connections} request(s) in flight (connectionPool.maxRequests = ${lim.maxRequests})`;
    this.replyLocal(503, Flag.UO, `upstream overflow: the circuit breaker for ${c.name} is open: ${why}`, OVERLOADED);
  }

  /** A connection is free: pick a host and send the try. */
  private dispatch(): void {
    const { ctx, ex, cluster } = this;
    const set = ctx.closing ? undefined : cluster.hostSet(this.version);
    const ep = set ? cluster.pick(set) : undefined;
    if (!ep) return this.noHealthyUpstream(set);
    if (!cluster.breaker.attach()) return this.overflow('requests');
    const isRetry = ex.attempts > 0;
    ex.attempts++;
    ex.upstreamAddress = ep.address;
    if (isRetry) {
      ctx.recorder.retry(cluster.edgeKey);
      ctx.recorder.retry(ep.upstreamKey);
    }
    const perTry = this.retries?.perTryTimeoutMs ?? null;
    const expected = expectedTimeout(perTry, this.deadline, ctx.clock.now());
    if (perTry !== null && perTry > 0) this.tryTimer = ctx.clock.setTimeout(() => this.onPerTryTimeout(perTry), perTry);
    const giveUp = giveUpAt(ex.giveUpAt, ctx.now(), expected);
    const headers = this.baseHeaders.slice();
    // The try's span id: the callee's inbound span is its child.
    const spanId = newSpanId(ctx.random);
    headers.push(
      'traceparent',
      formatTraceparent(ex.traceId, spanId, ex.traceFlags),
      'x-request-id',
      ex.requestId!,
      'x-envoy-attempt-count',
      String(ex.attempts),
      'x-envoy-downstream-service-cluster',
      ctx.service,
    );
    if (expected !== null) headers.push('x-envoy-expected-rq-timeout-ms', String(expected));
    if (giveUp !== null) headers.push('x-meshproof-give-up-at', String(giveUp));
    this.current = new UpstreamTry(ctx, cluster, ep, { method: ex.req.method ?? 'GET', path: ex.path, headers, body: this.body }, this);
    if (ex.spanId !== '') {
      ex.upstreamInstance = ep.instance;
      this.current.span = { traceId: ex.traceId, spanId, parentSpanId: ex.spanId, attempt: ex.attempts, destination: cluster.name, policies: isRetry ? ['retry'] : [] };
      if (ep.tls && cluster.mtls) this.current.span.peer = cluster.mtls.spiffeId;
      if (isRetry) markPolicy(ex, 'retry');
    }
  }

  /** Reports a try's result to outlier detection; a traced try that got its host ejected says so in its span. */
  private report(t: UpstreamTry, status: number): void {
    const span = t.span;
    if (span === null) return this.cluster.reportResult(t.endpoint, status);
    const was = t.endpoint.outlier.ejected;
    this.cluster.reportResult(t.endpoint, status);
    if (!was && t.endpoint.outlier.ejected) {
      span.policies.push('outlier-ejection');
      markPolicy(this.ex, 'outlier-ejection');
    }
  }

  onTryResponse(t: UpstreamTry, status: number, headers: ResponseHeaders): void {
    if (this.done) {
      t.discard(() => t.end(status, 0));
      return;
    }
    this.clearTryTimer();
    this.report(t, status);
    // Carried over mutual TLS: an answer came back on a handshake that passed.
    this.ex.mtls = t.endpoint.tls;
    let decision: RetryDecision = 'no-retry';
    if (this.retries) {
      const outcome: TryOutcome = { kind: 'response', status, neverRetry: neverRetry(headers) };
      decision = this.decide(outcome);
    }
    if (decision === 'retry') {
      // Read the discarded answer to its end so its connection goes back to the pool.
      this.current = null;
      t.discard(() => t.end(status, 0));
      return;
    }
    if (decision === 'no-retry' && this.retriesDone > 0) this.cluster.stats.upstream_rq_retry_success++;
    // The callee's authorization refused it (its sidecar names the policy): counted on this edge as denied.
    if (status === 403 && headers.get(DENIED_BY) !== undefined) {
      this.ex.denied = true;
      this.ctx.recorder.count(t.endpoint.upstreamKey, 'denied');
    }
    this.commit(t, headers, status);
  }

  onTryFailure(t: UpstreamTry, kind: TryFailure, err: NodeJS.ErrnoException): void {
    if (this.done) return;
    this.clearTryTimer();
    this.current = null;
    if (kind === 'invalid') {
      // Nothing reached the upstream: not charged to the host, not retried (the same request would fail the same way).
      t.end('error', 0);
      this.replyLocal(400, 0, `the request cannot be forwarded as it is: ${err.message}`);
      return;
    }
    const s = this.cluster.stats;
    const flag = kind === 'connect-failure' ? Flag.UF : Flag.UC;
    if (kind === 'connect-failure') s.upstream_cx_connect_fail++;
    else s.upstream_rq_rx_reset++;
    // Envoy charges a locally originated failure to the host as a 503.
    this.report(t, 503);
    t.end(503, flag);
    const decision = this.decide({ kind });
    if (decision === 'retry') return;
    const reason = kind === 'connect-failure' ? 'connection failure' : 'connection termination';
    const handshake = t.endpoint.tls ? classifyHandshakeError(err) : null;
    const where = `${t.endpoint.instance} at ${t.endpoint.address}`;
    const why = handshake ? `, transport failure reason: ${transportFailureReason(handshake)} (${where})` : ` (${tryErrorCode(err)}, ${where})`;
    this.replyLocal(503, flag, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}${why} ${attemptsText(this.ex.attempts)}`);
  }

  private onPerTryTimeout(perTryMs: number): void {
    this.tryTimer = null;
    if (this.done || this.committed) return;
    const t = this.current;
    this.current = null;
    this.cluster.stats.upstream_rq_per_try_timeout++;
    markPolicy(this.ex, 'per-try-timeout');
    if (t) {
      t.span?.policies.push('per-try-timeout');
      this.report(t, 504);
      t.abort();
      t.end(504, Flag.UT);
    }
    const decision = this.decide({ kind: 'per-try-timeout' });
    if (decision === 'retry') return;
    this.replyLocal(504, Flag.UT, `upstream request timeout (per-try ${perTryMs}ms) ${attemptsText(this.ex.attempts)}`);
  }

  private onWholeTimeout(): void {
    this.wholeTimer = null;
    if (this.done) return;
    this.cluster.stats.upstream_rq_timeout++;
    if (this.fromDeadline) this.cluster.stats.upstream_rq_deadline_exceeded++;
    markPolicy(this.ex, this.fromDeadline ? 'deadline' : 'timeout');
    const flags = this.fromDeadline ? Flag.UT | Flag.DE : Flag.UT;
    const t = this.current;
    this.current = null;
    t?.span?.policies.push(this.fromDeadline ? 'deadline' : 'timeout');
    if (this.committed) {
      // The answer had started: the only thing left to do is to cut it, as Envoy resets the stream.
      if (t) {
        t.abort();
        t.end(t.responded ? t.status : 'error', flags);
      }
      this.ex.resetDownstream(flags);
      this.finish();
      return;
    }
    if (t) {
      this.report(t, 504);
      t.abort();
      t.end(504, flags);
    }
    const waited = this.waiting ? ', waiting for a connection (circuit breaker: maxConnections)' : '';
    const what = this.fromDeadline ? `deadline: the caller's x-envoy-expected-rq-timeout-ms left ${this.timeoutMs}ms` : `whole request ${this.timeoutMs}ms`;
    this.replyLocal(504, flags, `upstream request timeout (${what}${waited}) ${attemptsText(this.ex.attempts)}`);
  }

  private onDownstreamAbort(): void {
    if (this.done) return;
    const t = this.current;
    this.current = null;
    if (t) {
      t.abort();
      t.end(this.committed && t.responded ? t.status : 'error', Flag.DC);
    }
    this.finish();
  }

  /** Envoy's RetryStateImpl::shouldRetry, with its counters; on `retry`, schedules the next try. */
  private decide(outcome: TryOutcome): RetryDecision {
    this.releaseRetry();
    const retries = this.retries;
    if (!retries || !this.conditions) return 'no-retry';
    const c = this.cluster;
    const s = c.stats;
    const budget = this.budget;
    const decision = decideRetry({
      retriable: isRetriable(outcome, this.conditions),
      retriesDone: this.retriesDone,
      maxRetries: retries.attempts,
      // Envoy: the retry budget, when set, replaces max_retries.
      budgetAllows: () => (budget === null ? c.breaker.retryAllowed(s.rq_retry_active) : budget.allows(s.rq_retry_active, s.rq_active)),
    });
    switch (decision) {
      case 'retry': {
        this.retriesDone++;
        s.upstream_rq_retry++;
        s.rq_retry_active++;
        this.holdsRetry = true;
        const delay = backoffDelayMs(this.retriesDone, retries.backoff, this.ctx.random);
        this.backoffTimer = this.ctx.clock.setTimeout(() => {
          this.backoffTimer = null;
          this.sendTry();
        }, delay);
        break;
      }
      case 'limit-exceeded':
        s.upstream_rq_retry_limit_exceeded++;
        this.flags |= Flag.URX;
        break;
      case 'overflow':
        s.upstream_rq_retry_overflow++;
        this.flags |= Flag.UO;
        markPolicy(this.ex, budget === null ? 'max-retries' : 'retry-budget');
        this.ctx.onRetryOverflow(c);
        break;
    }
    return decision;
  }

  /** Sends the upstream answer to the app, streaming its body. */
  private commit(t: UpstreamTry, upstreamHeaders: ResponseHeaders, status: number): void {
    this.committed = true;
    const ex = this.ex;
    ex.flags |= this.flags;
    const headers = responseHeaders(upstreamHeaders.raw, RESPONSE_OWN);
    if (ex.flags !== 0) headers.push('x-meshproof-flags', flagsToString(ex.flags));
    headers.push('x-envoy-attempt-count', String(ex.attempts));
    ex.res.writeHead(status, headers);
    t.forward(ex.res, (complete) => {
      if (complete) {
        t.end(status, 0);
        this.finish();
      } else if (!this.done) {
        // The upstream went away mid-body: the app gets a cut response, as from Envoy.
        this.cluster.stats.upstream_rq_rx_reset++;
        t.end(status, Flag.UC);
        ex.resetDownstream(Flag.UC);
        this.finish();
      }
    });
  }

  private replyLocal(status: number, flag: number, body: string, extraHeaders?: readonly string[]): void {
    this.ex.sendLocalReply(status, flag | this.flags, body, extraHeaders);
    this.finish();
  }

  private releaseRetry(): void {
    if (this.holdsRetry) {
      this.holdsRetry = false;
      this.cluster.stats.rq_retry_active--;
    }
  }

  private clearTryTimer(): void {
    if (this.tryTimer !== null) {
      this.ctx.clock.clearTimeout(this.tryTimer);
      this.tryTimer = null;
    }
  }

  /** Ends the request's routing: timers, retry slot and gauges. Idempotent. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    const clock = this.ctx.clock;
    this.clearTryTimer();
    if (this.wholeTimer !== null) clock.clearTimeout(this.wholeTimer);
    if (this.backoffTimer !== null) clock.clearTimeout(this.backoffTimer);
    this.wholeTimer = this.backoffTimer = null;
    if (this.waiting) this.cluster.breaker.cancel(this);
    this.releaseRetry();
    this.cluster.stats.rq_active--;
    this.ctx.inFlight.delete(this);
  }

  /** Used by the sidecar's close(): ends the request now, cutting the caller off. */
  cancel(): void {
    if (this.done) return;
    const t = this.current;
    this.current = null;
    if (t) {
      t.abort();
      t.end('error', Flag.LR);
    }
    this.ex.resetDownstream(Flag.LR);
    this.finish();
  }
}

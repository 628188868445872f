import type { Clock, TimerHandle } from '../../util/clock.ts';
import { giveUpAt, type DeadlineMode } from '../policy/deadline.ts';
import type { Handler } from './filter.ts';
import { Flag, flagsToString } from './flags.ts';
import { copyRawHeaders, INBOUND_DEADLINE_OWN, INBOUND_REQUEST_OWN, RESPONSE_OWN } from './headers.ts';
import type { ListenerStats } from './stats.ts';
import { isConnectFailure, responseHeaders, tryErrorCode, writeOrPause, type DispatchController, type DispatchHandler, type UpstreamPool } from './upstream-pool.ts';
import type { ResponseHeaders } from './upstream-try.ts';
import type { Exchange } from './exchange.ts';

/** A traced request gets a new `traceparent` (the app span's) instead of the caller's. */
const INBOUND_REQUEST_OWN_TRACED = new Set([...INBOUND_REQUEST_OWN, 'traceparent']);
/** The same, when the pod honours deadlines: the remaining time and the give-up time are rewritten. */
const OWN_DEADLINE = new Set([...INBOUND_REQUEST_OWN, ...INBOUND_DEADLINE_OWN]);
const OWN_DEADLINE_TRACED = new Set([...INBOUND_REQUEST_OWN_TRACED, ...INBOUND_DEADLINE_OWN]);

/** Where the app listens, with the keep-alive pool to it. */
export interface AppTarget {
  host: string;
  port: number;
  /** `host:port`, made once per config push (the access log's upstream address). */
  address: string;
  pool: UpstreamPool;
}

export interface InboundContext {
  /** Where the app listens, or null when this pod has none (the ingress) or no config has arrived. */
  app(): AppTarget | null;
  hasConfig(): boolean;
  /** This pod's SPIFFE ID, for the `x-forwarded-client-cert` the app gets on a mutual TLS request. */
  identity?: () => string | null;
  /** With tracing on: starts the exchange's app span and returns the `traceparent` for the app. */
  traceApp?: ((ex: Exchange) => string) | null;
  /** Whether this pod honours the deadline a request carries (`deadlines: propagate` on its service). */
  deadlines(): DeadlineMode;
  readonly clock: Clock;
  /** Wall-clock epoch ms (the give-up time passed to the app). */
  readonly now: () => number;
  readonly stats: ListenerStats;
}

/**
The inbound terminal handler: streams the request to the app on loopback and its answer back.
The app unreachable gives 503 UF, the app closing the connection before answering 503 UC; a caller
that goes away aborts the app request. Inbound policies (local rate limit, authorization, L7 faults)
are filters in front of this.
*/
export function forwardToApp(ctx: InboundContext): Handler {
  return (ex) => {
    const app = ctx.app();
    if (!app) {
      if (!ctx.hasConfig()) ex.sendLocalReply(503, Flag.NC, 'no config from the control plane yet: the sidecar does not know where its app listens');
      else ex.sendLocalReply(404, Flag.NR, 'this pod has no application to forward to');
      return;
    }
    const req = ex.req;
    const traced = ex.spanId !== '' && ctx.traceApp;
    // Envoy's inbound router with respect_expected_rq_timeout: the caller's remaining time, counted
    // from the request's arrival, is this hop's timeout toward the app.
    const deadline = ctx.deadlines() === 'propagate' && ex.expectedTimeoutMs !== null ? ex.start + ex.expectedTimeoutMs : null;
    const now = ctx.clock.now();
    if (deadline !== null && now >= deadline) {
      ctx.stats.deadline_exceeded++;
      ex.sendLocalReply(504, Flag.UT | Flag.DE, `deadline exceeded: the caller's x-envoy-expected-rq-timeout-ms (${ex.expectedTimeoutMs}ms) ran out before the request reached the app`);
      return;
    }
    const own = deadline === null ? (traced ? INBOUND_REQUEST_OWN_TRACED : INBOUND_REQUEST_OWN) : traced ? OWN_DEADLINE_TRACED : OWN_DEADLINE;
    const headers = copyRawHeaders(req.rawHeaders, own);
    headers.push('x-request-id', ex.requestId!);
    // Istio's inbound tells the app who called (Envoy's forward_client_cert_details, SANITIZE_SET).
    if (ex.peer !== null) headers.push('x-forwarded-client-cert', `By=${ctx.identity?.() ?? ''};URI=${ex.peer}`);
    if (traced) headers.push('traceparent', ctx.traceApp!(ex));
    if (deadline !== null) {
      const left = Math.max(1, Math.ceil(deadline - now));
      headers.push('x-envoy-expected-rq-timeout-ms', String(left));
      const giveUp = giveUpAt(ex.giveUpAt, ctx.now(), left);
      if (giveUp !== null) headers.push('x-meshproof-give-up-at', String(giveUp));
    }
    ex.upstreamAddress = app.address;
    const call = new AppCall(ex, app);
    ex.onDownstreamAbort(() => call.abort());
    if (deadline !== null) call.expireAt(ctx, deadline - now);
    // A request without a body is sent whole; one with a body is streamed as it arrives.
    const body = ex.hasBody ? req : null;
    try {
      app.pool.dispatch({ method: req.method ?? 'GET', path: ex.path, headers, body }, call);
    } catch (err) {
      ex.sendLocalReply(400, 0, `the request cannot be forwarded to the app as it is: ${(err as Error).message}`);
    }
  };
}

/** One request to the app: the pool's dispatch handler, writing the answer straight to the caller. */
class AppCall implements DispatchHandler {
  private readonly ex: Exchange;
  private readonly app: AppTarget;
  private controller: DispatchController | null = null;
  private aborted = false;
  private responded = false;
  private timer: TimerHandle | null = null;
  private clock: Clock | null = null;

  /**
  Ends the call when the request's deadline passes: the app's connection is cut (so an app that
  watches it can stop) and the caller gets 504 with flags UT and DE, or a reset once the answer has
  started, as Envoy does on a route timeout.
  */
  expireAt(ctx: Pick<InboundContext, 'clock' | 'stats'>, ms: number): void {
    this.clock = ctx.clock;
    this.timer = ctx.clock.setTimeout(() => {
      this.timer = null;
      if (this.aborted || this.ex.res.writableFinished) return;
      ctx.stats.deadline_exceeded++;
      const started = this.responded;
      this.abort();
      if (started) this.ex.resetDownstream(Flag.UT | Flag.DE);
      else this.ex.sendLocalReply(504, Flag.UT | Flag.DE, `deadline exceeded: the caller's x-envoy-expected-rq-timeout-ms (${this.ex.expectedTimeoutMs}ms) ran out while the app was working`);
    }, ms);
    this.ex.res.once('close', () => this.clearTimer());
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock!.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  constructor(ex: Exchange, app: AppTarget) {
    this.ex = ex;
    this.app = app;
  }

  onRequestStart(controller: DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(new Error('caller went away'));
  }

  onResponseStart(controller: DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (this.aborted) return;
    this.controller = controller;
    this.responded = true;
    const ex = this.ex;
    const out = responseHeaders(headers.raw, RESPONSE_OWN);
    if (ex.flags !== 0) out.push('x-meshproof-flags', flagsToString(ex.flags));
    ex.res.writeHead(statusCode, out);
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    if (!this.aborted) writeOrPause(this.ex.res, controller, chunk);
  }

  onResponseEnd(): void {
    if (!this.aborted) this.ex.res.end();
  }

  onResponseError(_controller: DispatchController | null, err: Error): void {
    if (this.aborted) return;
    const ex = this.ex;
    if (this.responded) {
      // The app went away mid-body: the caller gets a cut response.
      ex.resetDownstream(Flag.UC);
      return;
    }
    const e = err as NodeJS.ErrnoException;
    const address = this.app.address;
    if (isConnectFailure(e)) ex.sendLocalReply(503, Flag.UF, `upstream connect error: the app at ${address} is unreachable (${tryErrorCode(e)})`);
    else ex.sendLocalReply(503, Flag.UC, `upstream disconnect/reset before headers: the app at ${address} closed the connection (${tryErrorCode(e)})`);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.clearTimer();
    this.controller?.abort(new Error('caller went away'));
  }
}

import type { DownstreamResponse } from '../http1/downstream.ts';
import type { Clock } from '../../util/clock.ts';
import type { Recorder } from '../../contract/series.ts';
import type { ClusterState, EndpointState } from './cluster.ts';
import { flagsToList } from './flags.ts';
import type { SpanSink } from '../../contract/span-sink.ts';
import { recordAttemptSpan, type TrySpan } from './spans.ts';
import { isConnectFailure, writeOrPause, type DispatchController, type DispatchHandler } from './upstream-pool.ts';
import { classifyHandshakeError } from '../../security/handshake-failure.ts';
import type { ResponseHeaders } from '../http1/response-headers.ts';

export type TryFailure = 'reset' | 'connect-failure' | 'invalid';

export type { ResponseHeaders };

export interface TryHandler {
  /**
  Response headers arrived. Not called once the try was aborted. The handler says, before it
  returns, where the body goes: `forward` (to the caller) or `discard` (a retry follows).
  */
  onTryResponse(t: UpstreamTry, status: number, headers: ResponseHeaders): void;
  /**
  The try failed before any response headers (`invalid`: the request could not be sent as it is,
  e.g. a header the upstream client refuses). Not called once the try was aborted.
  */
  onTryFailure(t: UpstreamTry, kind: TryFailure, err: NodeJS.ErrnoException): void;
}

export interface TryRequest {
  method: string;
  path: string;
  /** Flat raw headers, Host included. */
  headers: string[];
  body: Buffer | null;
}

/**
One try of a request to one endpoint, over the endpoint's keep-alive pool. Owns the try's
accounting: the endpoint's active count (least_request), the cluster's try counters, and the
sample in the `upstream:<from>-><instance>` series, recorded exactly once by `end`.

It is the pool's dispatch handler: the response body is written straight to the caller's
response (with back-pressure) or dropped, with no stream in between.
*/
export class UpstreamTry implements DispatchHandler {
  readonly endpoint: EndpointState;
  /** clock.now() when sent. */
  readonly start: number;
  /** Whether response headers arrived; `status` is then theirs. */
  responded = false;
  status = 0;
  /** The try's span, when its request is traced: recorded by `end`. */
  span: TrySpan | null = null;
  private readonly sink: SpanSink | null;
  private readonly handler: TryHandler;
  private readonly cluster: ClusterState;
  private readonly clock: Clock;
  private readonly recorder: Recorder;
  private controller: DispatchController | null = null;
  /** Where the body goes once forwarded; null = dropped. */
  private out: DownstreamResponse | null = null;
  /** Called once when the body has ended (true) or the upstream cut it (false). */
  private onBodyEnd: ((complete: boolean) => void) | null = null;
  private ended = false;
  private aborted = false;

  constructor(env: { clock: Clock; recorder: Recorder; spans?: SpanSink | null }, cluster: ClusterState, endpoint: EndpointState, rq: TryRequest, handler: TryHandler) {
    this.endpoint = endpoint;
    this.cluster = cluster;
    this.clock = env.clock;
    this.recorder = env.recorder;
    this.sink = env.spans ?? null;
    this.handler = handler;
    this.start = env.clock.now();
    endpoint.acquire();
    cluster.stats.upstream_rq_total++;
    cluster.stats.upstream_rq_active++;
    try {
      endpoint.pool.dispatch({ method: rq.method, path: rq.path, headers: rq.headers, body: rq.body }, this);
    } catch (err) {
      // Refused before anything was sent; reported after the caller has its try in hand.
      process.nextTick(() => {
        if (!this.aborted) handler.onTryFailure(this, 'invalid', err as NodeJS.ErrnoException);
      });
    }
  }

  onRequestStart(controller: DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(new Error('try aborted'));
  }

  onResponseStart(controller: DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (this.aborted) return;
    this.controller = controller;
    this.responded = true;
    this.status = statusCode;
    this.handler.onTryResponse(this, statusCode, headers);
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    if (this.out !== null) writeOrPause(this.out, controller, chunk);
  }

  onResponseEnd(): void {
    if (this.aborted) return;
    this.out?.end();
    this.bodyEnded(true);
  }

  onResponseError(_controller: DispatchController | null, err: Error): void {
    if (this.aborted) return;
    if (!this.responded) {
      const e = err as NodeJS.ErrnoException;
      // A failed mutual TLS handshake is a connection failure (Envoy: UF, with the TLS error as the transport failure reason).
      this.handler.onTryFailure(this, isConnectFailure(e) || (this.endpoint.tls && classifyHandshakeError(e) !== null) ? 'connect-failure' : 'reset', e);
      return;
    }
    this.bodyEnded(false);
  }

  /** Sends the response body to `out` as it arrives; `onEnd(complete)` when it has ended or was cut. */
  forward(out: DownstreamResponse, onEnd: (complete: boolean) => void): void {
    this.out = out;
    this.onBodyEnd = onEnd;
  }

  /** Reads the body to its end and drops it, so the connection goes back to the pool. */
  discard(onEnd: (complete: boolean) => void): void {
    this.out = null;
    this.onBodyEnd = onEnd;
  }

  private bodyEnded(complete: boolean): void {
    const cb = this.onBodyEnd;
    this.onBodyEnd = null;
    cb?.(complete);
  }

  /**
  Records the try's outcome (Envoy charges local failures as 503, timeouts as 504) and frees its
  endpoint slot. Idempotent: the first call wins.
  */
  end(status: number | 'error', flags: number): void {
    if (this.ended) return;
    this.ended = true;
    this.endpoint.release();
    const s = this.cluster.stats;
    s.upstream_rq_active--;
    s.upstream_rq_completed++;
    if (status !== 'error') s.countCode(status);
    const now = this.clock.now();
    this.recorder.add(this.endpoint.upstreamKey, status, now - this.start, flags === 0 ? null : flagsToList(flags));
    if (this.endpoint.tls && this.responded) this.recorder.count(this.endpoint.upstreamKey, 'mtls');
    if (this.span !== null && this.sink !== null) recordAttemptSpan(this.sink, this.span, this.endpoint, this.start, now, status, flags);
    // Last: the freed connection may start a pending request's try at once.
    this.cluster.onTryEnded();
  }

  /** Drops the exchange with the upstream (its connection is closed); no handler is called after. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.onBodyEnd = null;
    // Before the request was written there is no controller yet: onRequestStart aborts it.
    this.controller?.abort(new Error('try aborted'));
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

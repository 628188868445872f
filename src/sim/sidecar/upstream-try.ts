import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Clock } from '../../util/clock.ts';
import type { SeriesRecorder } from '../../observe/timeline.ts';
import type { ClusterState, EndpointState } from './cluster.ts';
import { flagsToList } from './flags.ts';
import type { SpanSink } from './span-sink.ts';
import { recordAttemptSpan, type TrySpan } from './spans.ts';

/** Errors that mean the connection was never made (Envoy: connect failure, flag UF). */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export function isConnectFailure(err: NodeJS.ErrnoException): boolean {
  return err.code !== undefined && CONNECT_ERRORS.has(err.code);
}

export type TryFailure = 'reset' | 'connect-failure';

export interface TryHandler {
  /** Response headers arrived. Not called once the try was aborted. */
  onTryResponse(t: UpstreamTry, res: IncomingMessage): void;
  /** The try failed before any response headers. Not called once the try was aborted. */
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
*/
export class UpstreamTry {
  readonly endpoint: EndpointState;
  /** clock.now() when sent. */
  readonly start: number;
  response: IncomingMessage | null = null;
  /** The try's span, when its request is traced: recorded by `end`. */
  span: TrySpan | null = null;
  private readonly sink: SpanSink | null;
  private readonly req: ClientRequest;
  private readonly cluster: ClusterState;
  private readonly clock: Clock;
  private readonly recorder: SeriesRecorder;
  private ended = false;
  private aborted = false;

  constructor(env: { clock: Clock; recorder: SeriesRecorder; spans?: SpanSink | null }, cluster: ClusterState, endpoint: EndpointState, rq: TryRequest, handler: TryHandler) {
    this.endpoint = endpoint;
    this.cluster = cluster;
    this.clock = env.clock;
    this.recorder = env.recorder;
    this.sink = env.spans ?? null;
    this.start = env.clock.now();
    endpoint.acquire();
    cluster.stats.upstream_rq_total++;
    cluster.stats.upstream_rq_active++;
    const req = request({ agent: endpoint.agent, host: endpoint.host, port: endpoint.port, method: rq.method, path: rq.path, headers: rq.headers, setHost: false });
    this.req = req;
    req.on('response', (res) => {
      if (this.aborted) {
        res.resume();
        return;
      }
      this.response = res;
      handler.onTryResponse(this, res);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (this.aborted || this.response) return;
      handler.onTryFailure(this, isConnectFailure(err) ? 'connect-failure' : 'reset', err);
    });
    if (rq.body) req.end(rq.body);
    else req.end();
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
    this.recorder.record(this.endpoint.upstreamKey, { status, latencyMs: now - this.start, flags: flagsToList(flags) });
    if (this.span !== null && this.sink !== null) recordAttemptSpan(this.sink, this.span, this.endpoint, this.start, now, status, flags);
    // Last: the freed connection may start a pending request's try at once.
    this.cluster.onTryEnded();
  }

  /** Drops the exchange with the upstream (its connection is closed); no handler is called after. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.req.destroy();
    this.response?.destroy();
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

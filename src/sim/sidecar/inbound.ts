import { request, type Agent } from 'node:http';
import type { Handler } from './filter.ts';
import { Flag, flagsToString } from './flags.ts';
import { copyRawHeaders, INBOUND_REQUEST_OWN, RESPONSE_OWN } from './headers.ts';
import { isConnectFailure } from './upstream-try.ts';
import type { Exchange } from './exchange.ts';

/** A traced request gets a new `traceparent` (the app span's) instead of the caller's. */
const INBOUND_REQUEST_OWN_TRACED = new Set([...INBOUND_REQUEST_OWN, 'traceparent']);

export interface InboundContext {
  /** Where the app listens, or null when this pod has none (the ingress) or no config has arrived. */
  app(): { host: string; port: number } | null;
  hasConfig(): boolean;
  /** Keep-alive pool to the app. */
  readonly appAgent: Agent;
  /** With tracing on: starts the exchange's app span and returns the `traceparent` for the app. */
  traceApp?: ((ex: Exchange) => string) | null;
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
    const headers = copyRawHeaders(req.rawHeaders, traced ? INBOUND_REQUEST_OWN_TRACED : INBOUND_REQUEST_OWN);
    headers.push('x-request-id', ex.requestId!);
    if (traced) headers.push('traceparent', ctx.traceApp!(ex));
    ex.upstreamAddress = `${app.host}:${app.port}`;
    let aborted = false;
    let responded = false;
    const up = request({ agent: ctx.appAgent, host: app.host, port: app.port, method: req.method, path: req.url, headers, setHost: false });
    ex.onDownstreamAbort(() => {
      aborted = true;
      up.destroy();
    });
    up.on('response', (res) => {
      if (aborted) {
        res.resume();
        return;
      }
      responded = true;
      const out = copyRawHeaders(res.rawHeaders, RESPONSE_OWN);
      if (ex.flags !== 0) out.push('x-meshproof-flags', flagsToString(ex.flags));
      ex.res.writeHead(res.statusCode ?? 502, out);
      res.once('close', () => {
        if (!res.complete && !aborted) ex.resetDownstream(Flag.UC);
      });
      res.pipe(ex.res);
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (aborted || responded) return;
      if (isConnectFailure(err)) ex.sendLocalReply(503, Flag.UF, `upstream connect error: the app at ${app.host}:${app.port} is unreachable (${err.code})`);
      else ex.sendLocalReply(503, Flag.UC, `upstream disconnect/reset before headers: the app at ${app.host}:${app.port} closed the connection (${err.code ?? err.message})`);
    });
    req.pipe(up);
  };
}

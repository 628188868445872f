import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { browserRefusal, isWrite, type Refusal, type WriteTypes } from './browser-refusal.ts';
import { credentialMatcher, presentedBearer } from './run-credential.ts';

/** How a listener that can change a run is locked (see docs/security-model.md). */
export interface ControlAccess {
  /** The run's credential: every write must carry it as `Authorization: Bearer <token>`. */
  token: string;
  /**
  The port a Host header may name after a loopback name (`127.0.0.1`, `localhost`, `[::1]`):
  `listener`, the port the client connected to; `any`, for a listener reached through a port Docker
  publishes on the host's 127.0.0.1, which the container cannot know.
  @default 'listener'
  */
  hostPort?: 'listener' | 'any';
  /** Authorities besides the loopback ones, as `name:port` (e.g. `span-relay:4318` on a run's network). @default none */
  alsoHosts?: readonly string[];
  /** The content types writes may carry. @default JSON */
  writeTypes?: WriteTypes;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A refusal carries this when the credential is missing or wrong (RFC 6750). */
export type CredentialRefusal = Refusal & { challenge: string };

/**
Why the Host header does not name this listener, or null when it does: the guard against DNS
rebinding. A page from `http://evil.example` whose name the attacker re-points at 127.0.0.1 reaches
the listener with its own name in `Host`; loopback listeners therefore answer only the loopback names.
*/
export function hostRefusal(req: IncomingMessage, access: Pick<ControlAccess, 'hostPort' | 'alsoHosts'>): Refusal | null {
  const host = req.headers.host?.trim().toLowerCase();
  const serves = `127.0.0.1${access.hostPort === 'any' ? '' : `:${req.socket.localPort}`}`;
  if (!host) return { status: 421, message: `no Host header: this listener answers requests for ${serves}` };
  if (access.alsoHosts?.includes(host)) return null;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  const name = m?.[1] ?? '';
  const port = m?.[2] || '80';
  const shown = JSON.stringify(host.length > 100 ? `${host.slice(0, 100)}…` : host);
  if (!LOOPBACK_NAMES.has(name)) return { status: 421, message: `Host ${shown} is not this listener: it answers requests for ${serves} only (DNS rebinding guard)` };
  if (access.hostPort !== 'any' && port !== String(req.socket.localPort)) return { status: 421, message: `Host ${shown} names another port: this listener answers requests for ${serves}` };
  return null;
}

/** A check of the `Authorization: Bearer` header against the run's credential, in constant time. */
export function credentialCheck(token: string): (req: IncomingMessage) => CredentialRefusal | null {
  const matches = credentialMatcher(token);
  return (req) => {
    const presented = presentedBearer(req.headers);
    if (presented === null) {
      return {
        status: 401,
        message: "this request changes the run: it needs the run's credential (Authorization: Bearer <token>), which only the harness and its sidecars hold",
        challenge: 'Bearer realm="meshproof"',
      };
    }
    if (!matches(presented)) return { status: 401, message: "the credential presented is not this run's", challenge: 'Bearer realm="meshproof", error="invalid_token"' };
    return null;
  };
}

/**
Wraps the handler of a listener that can change a run:
- every request: a Host naming this listener (421 otherwise);
- writes (POST, PUT, PATCH, DELETE): no browser (`Origin`, a `Mozilla/` user agent: 403), a body of
  one of `writeTypes` (415), and the run's credential (401).
Reads pass on with a right Host: stats and events stay open to anything on the machine.
*/
export function guardControl(handler: RequestListener, access: ControlAccess): RequestListener {
  const credential = credentialCheck(access.token);
  return (req, res) => {
    const refusal = hostRefusal(req, access) ?? (isWrite(req.method) ? (browserRefusal(req, { writeTypes: access.writeTypes }) ?? credential(req)) : null);
    if (refusal) return sendRefusal(req, res, refusal);
    handler(req, res);
  };
}

/**
A refusal as JSON `{error, status}` (Toxiproxy's error shape), with the challenge of a 401. The
connection is closed after it, and whatever body came is read and dropped so that the client gets
the answer rather than a reset.
*/
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal & { challenge?: string }): void {
  req.resume();
  // Answered before the body is all in, the close after the answer would find data unread, and the
  // kernel would reset the connection under the client's write (EPIPE, seen with a 2 MB body): the
  // answer waits for the body's end, at most REFUSAL_DRAIN_MS.
  if (!req.complete) {
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      clearTimeout(bound);
      answerRefusal(res, refusal);
    };
    const bound = setTimeout(send, REFUSAL_DRAIN_MS);
    req.once('end', send);
    req.once('close', send);
    return;
  }
  answerRefusal(res, refusal);
}

/** How long a refusal waits for the rest of a request's body before it answers anyway, ms. */
const REFUSAL_DRAIN_MS = 2000;

function answerRefusal(res: ServerResponse, refusal: Refusal & { challenge?: string }): void {
  const body = JSON.stringify({ error: refusal.message, status: refusal.status });
  res.writeHead(refusal.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'close',
    ...(refusal.challenge ? { 'www-authenticate': refusal.challenge } : {}),
  });
  res.end(body);
}

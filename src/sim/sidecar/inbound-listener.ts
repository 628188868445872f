import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { DownstreamRequest } from '../http1/downstream.ts';
import { Http1Server } from '../http1/http1-server.ts';
import type { RequestHandler } from '../http1/server-connection.ts';
import { ServerConnection } from '../http1/server-connection.ts';
import { classifyHandshakeError, type HandshakeFailure } from '../../security/handshake-failure.ts';
import type { TlsCredentials } from './tls-credentials.ts';

/** The first byte of a TLS record carrying a handshake (a ClientHello). */
const TLS_HANDSHAKE = 0x16;

/** The generation of credentials and mode a connection was accepted under. */
const GENERATION = Symbol('meshproof.generation');
/** The caller's SPIFFE ID on a mutual TLS connection. */
const PEER = Symbol('meshproof.peer');

type Tagged = Socket & { [GENERATION]?: number; [PEER]?: string };

export interface InboundListenerEvents {
  /** A handshake completed (Envoy's listener `ssl.handshake`). */
  onHandshake(): void;
  /** A connection failed before a request could be read: a TLS handshake that failed, or plaintext refused by STRICT (`no_filter_chain_match`). */
  onHandshakeFailure(failure: HandshakeFailure): void;
}

/**
The inbound listener with Istio's PeerAuthentication on it, as Envoy's inbound filter chains match
on the transport protocol: under PERMISSIVE the first byte of a connection decides (a TLS handshake
goes to the mutual TLS chain, anything else to the plaintext one); under STRICT only the TLS chain
exists, so a plaintext connection matches no filter chain and is reset at once (Envoy's
`filter_chain_not_found`, what curl shows as exit 56); under DISABLE every connection is plaintext.
The TLS chain asks for the client's certificate and verifies it against the trust bundle.

Both chains end in the same request handler. A connection accepted under older credentials or
another mode is drained as Envoy drains a filter chain: its next response (or the one being made)
says `Connection: close` and the connection closes after it, so the caller reconnects under what is
in force, and no request races a connection closed under it.
*/
export class InboundListener {
  readonly server: NetServer;
  /** Serves HTTP/1.1 on every connection, plaintext or TLS (it never listens itself). */
  private readonly plain: Http1Server;
  /** Terminates TLS (it never listens either); the handshaken socket goes to `plain`. */
  private secure: TlsServer | null = null;
  private readonly credentials: TlsCredentials;
  private readonly events: InboundListenerEvents;
  /**
  Every open connection (the TLS socket once a handshake is done, else the raw one). The servers
  above never listen themselves, so Node tracks no connections for them: the drain does it here.
  */
  private readonly open = new Set<Tagged>();

  constructor(handler: RequestHandler, credentials: TlsCredentials, events: InboundListenerEvents) {
    this.credentials = credentials;
    this.events = events;
    this.plain = new Http1Server(handler);
    this.server = createNetServer((socket) => this.accept(socket as Tagged));
  }

  /** The credentials or the mode changed: the TLS chain takes the new certificate, and connections made before are drained. */
  reconfigure(): void {
    const options = this.credentials.serverOptions();
    if (options && !this.secure) this.secure = this.createSecure();
    else if (options && this.secure) this.secure.setSecureContext(tlsOptions(options));
    for (const socket of this.open) drain(socket);
  }

  /** Whether a request arrived on a connection accepted under older credentials or another mode (it is then answered with `Connection: close`). */
  static stale(req: DownstreamRequest, generation: number): boolean {
    const g = (req.socket as Tagged)[GENERATION];
    return g !== undefined && g !== generation;
  }

  /** The caller's SPIFFE ID when the request came over mutual TLS, else null. */
  static peerOf(req: DownstreamRequest): string | null {
    return (req.socket as Tagged)[PEER] ?? null;
  }

  private createSecure(): TlsServer {
    const options = this.credentials.serverOptions()!;
    // OpenSSL verifies the client's chain; the verdict is read here (with rejectUnauthorized Node
    // would close a refused connection without a word to anyone, and nothing would be counted).
    const server = createTlsServer({ ...tlsOptions(options), requestCert: true, rejectUnauthorized: false });
    server.on('secureConnection', (socket: TLSSocket) => {
      const tagged = socket as unknown as Tagged;
      const raw = (socket as unknown as { _parent?: Tagged })._parent;
      tagged[GENERATION] = raw?.[GENERATION] ?? this.credentials.generation;
      if (raw) this.open.delete(raw);
      this.track(tagged);
      const verifyError = (socket as unknown as { authorizationError?: string }).authorizationError;
      const cert = socket.getPeerX509Certificate();
      const who = cert && verifyError ? Object.assign(new Error(verifyError), { code: verifyError }) : this.credentials.verifyClient(cert);
      if (who instanceof Error) {
        this.events.onHandshakeFailure(classifyHandshakeError(who)!);
        socket.destroy();
        return;
      }
      tagged[PEER] = who.spiffeId;
      this.events.onHandshake();
      this.plain.accept(socket);
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const code = (err as NodeJS.ErrnoException).code;
      const failure: HandshakeFailure = classifyHandshakeError(err) ??
        (code === 'ECONNRESET'
          ? { kind: 'connection_error', reason: 'PEER_CLOSED_DURING_HANDSHAKE', detail: "the client hung up during the handshake: it refused this side's certificate, or went away" }
          : { kind: 'connection_error', reason: code ?? 'TLS_ERROR', detail: err.message });
      this.events.onHandshakeFailure(failure);
      socket.destroy();
    });
    return server;
  }

  private track(socket: Tagged): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  private accept(socket: Tagged): void {
    socket[GENERATION] = this.credentials.generation;
    this.track(socket);
    const mode = this.credentials.mode;
    if (mode === 'DISABLE' || !this.credentials.canTls) {
      this.plain.accept(socket);
      return;
    }
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE && this.secure) {
        this.secure.emit('connection', socket);
      } else if (mode === 'STRICT') {
        this.events.onHandshakeFailure({ kind: 'no_filter_chain_match', reason: 'filter_chain_not_found', detail: 'a plaintext connection to a STRICT mutual TLS listener' });
        socket.resetAndDestroy();
        return;
      } else {
        this.plain.accept(socket);
      }
      process.nextTick(() => socket.resume());
    });
    socket.on('error', noop);
  }

  /** Closes every connection at once (the sidecar is stopping). */
  closeAllConnections(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

/**
Drains a connection made under what is no longer in force: a response not yet begun says
`Connection: close`; otherwise the next request's does (`stale`). Closing an idle keep-alive
connection outright would race a request the caller is sending on it.
*/
function drain(socket: Tagged): void {
  const res = ServerConnection.responseOn(socket);
  if (res && !res.headersSent) res.shouldKeepAlive = false;
}

function tlsOptions(o: { cert?: unknown; key?: unknown; ca?: unknown }): { cert: string; key: string; ca: string[] } {
  return { cert: o.cert as string, key: o.key as string, ca: o.ca as string[] };
}

function noop(): void {}


import type { Http1Server } from '../http1/http1-server.ts';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/**
A gateway's listener: a TCP server that hands each connection to the gateway's HTTP server, first
terminating TLS with the gateway's certificate when it has one (Istio's `tls.mode: SIMPLE`). The
certificate comes with a config push, so the listener is bound before it is known and each
connection takes the context in force when it arrives. A port is HTTPS or HTTP, not both, as an
Istio Gateway server: a plaintext request to a TLS gateway fails its handshake and is closed.
*/
export function gatewayListener(http: Http1Server, secureContext: () => SecureContext | null, onHandshakeError?: (err: Error) => void): Server {
  return createServer((socket: Socket) => {
    const context = secureContext();
    if (context === null) {
      http.accept(socket);
      return;
    }
    const tls = new TLSSocket(socket, { isServer: true, secureContext: context });
    tls.on('error', (err: Error) => {
      onHandshakeError?.(err);
      tls.destroy();
    });
    http.accept(tls);
  });
}

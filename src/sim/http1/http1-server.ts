import { Server, type Socket } from 'node:net';
import { ServerConnection, type RequestHandler, type ServerConnectionOptions } from './server-connection.ts';

/**
A TCP server whose connections speak HTTP/1.1 through ServerConnection, in place of node:http's
server: the same `listen`/`close`, plus `accept` for a socket accepted elsewhere (a listener that
looks at the first byte, or terminates TLS, before HTTP) and `closeAllConnections`, as node:http's.
*/
export class Http1Server extends Server {
  private readonly handler: RequestHandler;
  private readonly options: ServerConnectionOptions;
  private readonly sockets = new Set<Socket>();

  constructor(handler: RequestHandler, options: ServerConnectionOptions = {}) {
    super();
    this.handler = handler;
    this.options = options;
    this.on('connection', (socket: Socket) => this.accept(socket));
  }

  /** Serves HTTP/1.1 on a connection (a net.Socket, or a TLSSocket). */
  accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    new ServerConnection(socket, this.handler, this.options);
  }

  /** Closes every connection now. */
  closeAllConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpForwarder {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
A listener that joins every connection it accepts to a new connection to `target`, byte for byte, as
socat does. It is how a container entry exposes, on a fixed port of the pod's network, a listener
that the classes it runs bind on 127.0.0.1 on a port they pick.

What a peer sees must not change through it, since faults are judged by it: a half-close is passed
on as a half-close, a reset as a reset (so `reset_peer` and connection errors reach the caller as
they happened), and a refused or failed connection to the target resets the accepted one.
*/
export function startTcpForwarder(options: { host: string; port: number; target: { host: string; port: number } }): Promise<TcpForwarder> {
  const { target } = options;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    join(client, upstream);
    join(upstream, client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        host: options.host,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });

  /** One direction: data and end from `from` go to `to`; an error on `from` resets `to`. */
  function join(from: Socket, to: Socket): void {
    from.pipe(to);
    from.on('error', () => {
      if (!to.destroyed) to.resetAndDestroy();
    });
    from.on('close', (hadError) => {
      sockets.delete(from);
      // Both directions done cleanly: the peer has had its FIN; otherwise cut it with a reset.
      if (hadError && !to.destroyed) to.resetAndDestroy();
      else if (!to.destroyed && to.writableEnded && to.readableEnded) to.destroy();
    });
  }
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monotonicMs } from '../../../src/load/pacer.ts';

/**
A server on 127.0.0.1 that records when each request arrives (the process's monotonic clock, ms),
standing where the ingress sidecar stands: what it sees is what the mesh would see. `delayMs`
holds chosen responses back (a stalling ingress); `answer: false` never answers.
*/
export interface RecordingServer {
  url: string;
  /** Arrival times so far, ms on monotonicMs(), in order. */
  readonly arrivals: readonly number[];
  /** Requests received and not yet answered. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startRecordingServer(o: { delayMs?: (arrival: number) => number; answer?: boolean } = {}): Promise<RecordingServer> {
  const arrivals: number[] = [];
  let open = 0;
  const server: Server = createServer((req, res) => {
    const at = monotonicMs();
    arrivals.push(at);
    open++;
    req.resume();
    res.on('close', () => open--);
    if (o.answer === false) return;
    const delay = o.delayMs?.(at) ?? 0;
    if (delay > 0) setTimeout(() => res.end('ok'), delay);
    else res.end('ok');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    get open() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monotonicMs } from '../src/load/pacer.ts';
import { RunqueueWait } from '../src/util/runqueue-wait.ts';

/**
What the receiving end of a load sees: a server on 127.0.0.1 that records when each request arrives
(the machine's monotonic clock, ms: the same clock as the load's own `monotonicMs`), standing where
the ingress sidecar stands, and the smoothness figures computed from its arrival times. Used by
`bench/load-arrivals.ts` and the load's tests. `delayMs` holds chosen responses back (a stalling
ingress); `answer: false` never answers.
*/
export interface RecordingServer {
  url: string;
  /** Arrival times so far, ms on monotonicMs(), in order. */
  readonly arrivals: readonly number[];
  /** With `waits`, the recording thread's total wait for a core (RunqueueWait, ms) as it stamped each arrival; else empty. */
  readonly waits: readonly number[];
  /** Requests received and not yet answered. */
  readonly open: number;
  close(): Promise<void>;
}

/**
The same recorder with the least work per request between the socket and the timestamp, for
measuring smoothness at high rates: a TCP server that stamps each chunk a keep-alive connection
delivers (one GET, headers only, per chunk: the load does not pipeline) and answers it with a canned
200. An HTTP server's parsing and response objects would add tens of microseconds per request to
the event loop, and bunch the timestamps of requests that arrive together.
*/
export async function startLeanRecorder(o: { waits?: boolean } = {}): Promise<RecordingServer> {
  const arrivals: number[] = [];
  const waits: number[] = [];
  const rq = o.waits ? RunqueueWait.open() : null;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      arrivals.push(monotonicMs());
      if (rq) waits.push(rq.ms());
      // A request is complete at its blank line; each chunk holds one (no body, no pipelining).
      if (chunk.includes(CRLF2)) socket.write(RESPONSE);
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    waits,
    open: 0,
    close: () =>
      new Promise<void>((resolve) => {
        rq?.close();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

const CRLF2 = Buffer.from('\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=65\r\n\r\nok');

/**
A recorder whose stamps are the kernel's: when the segment carrying each request reached the socket
(SO_TIMESTAMPNS), taken by a python3 process (bench/kernel-stamp-recorder.py). No thread of the
receiving end, its pauses or its wait for a core, is in them, so the figures say what the sender and
the kernel between them did. Its arrivals are filled in when it is closed.
*/
export async function startKernelStampRecorder(): Promise<RecordingServer> {
  const arrivals: number[] = [];
  const child = spawn('python3', [fileURLToPath(new URL('./kernel-stamp-recorder.py', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the kernel-stamp recorder exited with ${code} before listening`)));
    // Its first line is its port; the stamps follow at its end.
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.slice(0, out.indexOf('\n'))));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    waits: [],
    open: 0,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      arrivals.push(...(JSON.parse(out.slice(out.indexOf('\n') + 1)) as number[]));
    },
  };
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
    waits: [],
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

/**
Smoothness of arrivals as the receiving end measures it, computed independently of the load
generator's own meter (src/load/load-honesty.ts): the coefficient of variation of the gaps between consecutive arrivals, the
most arrivals in any sliding window of `windowMs` against the number expected at `rate` (at least 1),
and the count.
*/
export interface ArrivalStats {
  count: number;
  cv: number;
  busiest: number;
  expectedPerWindow: number;
  windowRatio: number;
  /** Longest gap between two arrivals, ms. */
  maxGapMs: number;
}

export function arrivalStats(times: readonly number[], rate: number, windowMs = 10): ArrivalStats {
  const t = [...times].sort((a, b) => a - b);
  let sum = 0;
  let sq = 0;
  let maxGap = 0;
  for (let i = 1; i < t.length; i++) {
    const g = t[i] - t[i - 1];
    sum += g;
    sq += g * g;
    if (g > maxGap) maxGap = g;
  }
  const n = t.length - 1;
  const mean = sum / n;
  const cv = Math.sqrt(Math.max(0, sq / n - mean * mean)) / mean;
  let busiest = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  const expectedPerWindow = Math.max(1, (rate * windowMs) / 1000);
  return { count: t.length, cv, busiest, expectedPerWindow, windowRatio: busiest / expectedPerWindow, maxGapMs: maxGap };
}

import autocannon from 'autocannon';
import { Histogram } from '../contract/histogram.ts';
import { seriesKey, type Recorder } from '../contract/series.ts';
import type { LoadHonesty } from './load-honesty.ts';
import type { LoadSummary } from './load-summary.ts';
import { figures } from './open-loop-load.ts';

export interface ClosedLoopOptions {
  /** Base URL of the ingress sidecar's outbound listener. */
  url: string;
  /** Sent as the Host header. */
  host: string;
  path: string;
  /** Requests in flight, each on its own connection. */
  connections: number;
  durationMs: number;
  /** Where each response is recorded (`client` and `client:sent` alike: there is no schedule, so the intended time is the send). */
  recorder: Recorder;
  /** A request with no response after this long counts as an error, ms. */
  timeoutMs: number;
  /** Epoch ms of second 0 (for the per-second counts). @default now */
  t0?: number;
}

/**
A closed-loop load: `connections` requests in flight, each sent as soon as the previous one on its
connection is answered, for the duration — as fast as the mesh answers. autocannon is the engine,
as in `npm run bench`: this is the model it was built for. Latency is autocannon's own, from the
actual send (sub-millisecond).
*/
export class ClosedLoopLoad {
  private readonly o: ClosedLoopOptions;
  private instance: autocannon.Instance | null = null;
  private stopped = false;
  private readonly perSecond: number[] = [];
  private readonly latency = new Histogram();

  constructor(options: ClosedLoopOptions) {
    this.o = options;
  }

  /** Requests sent in second `sec` so far (closed loop drops nothing and is never late). */
  second(sec: number): { sent: number; dropped: number; latenessMaxMs: number } {
    return { sent: this.perSecond[sec] ?? 0, dropped: 0, latenessMaxMs: 0 };
  }

  async run(): Promise<LoadSummary> {
    const o = this.o;
    const t0 = o.t0 ?? Date.now();
    const started = performance.now();
    const summary: Omit<LoadSummary, 'honesty'> = { requests: 0, errors: 0, status: {}, errorKinds: {}, elapsedMs: 0 };
    if (!this.stopped) {
      // Without a callback autocannon returns an Instance (an EventEmitter that is also thenable); its types only describe the promise.
      const instance = autocannon({
        url: new URL(o.path, o.url).toString(),
        headers: { host: o.host },
        connections: o.connections,
        duration: o.durationMs / 1000,
        timeout: o.timeoutMs / 1000,
        // autocannon notices the end of its duration only at its next sample tick (1s by default).
        sampleInt: 50,
      }) as unknown as autocannon.Instance;
      this.instance = instance;
      const client = seriesKey.client();
      const sent = seriesKey.clientSent();
      const countSend = (latencyMs: number) => {
        const sec = Math.floor((Date.now() - latencyMs - t0) / 1000);
        if (sec >= 0) this.perSecond[sec] = (this.perSecond[sec] ?? 0) + 1;
      };
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        summary.requests++;
        summary.status[statusCode] = (summary.status[statusCode] ?? 0) + 1;
        this.latency.record(responseTime);
        countSend(responseTime);
        o.recorder.add(client, statusCode, responseTime, null);
        o.recorder.add(sent, statusCode, responseTime, null);
      });
      instance.on('reqError', (err: Error) => {
        summary.requests++;
        summary.errors++;
        summary.status.error = (summary.status.error ?? 0) + 1;
        const kind = (err as NodeJS.ErrnoException).code ?? err.message;
        summary.errorKinds[kind] = (summary.errorKinds[kind] ?? 0) + 1;
        countSend(0);
        o.recorder.add(client, 'error', NaN, null);
        o.recorder.add(sent, 'error', NaN, null);
      });
      await new Promise<void>((resolve) => instance.on('done', () => resolve()));
      this.instance = null;
    }
    summary.elapsedMs = performance.now() - started;
    const seconds = Math.ceil(o.durationMs / 1000);
    const perSecond = Array.from({ length: seconds }, (_, i) => this.perSecond[i] ?? 0);
    const latency = figures(this.latency);
    const honesty: LoadHonesty = {
      model: 'closed',
      arrivals: null,
      intended: null,
      sent: summary.requests,
      dropped: { total: 0, cap: 0, late: 0 },
      targetRate: null,
      achievedRate: (summary.requests * 1000) / Math.max(1, o.durationMs),
      rateRatio: null,
      lateness: null,
      lateBudgetMs: null,
      interArrivalCv: null,
      expectedCv: null,
      busiestWindow: null,
      cap: o.connections,
      maxInFlight: o.connections,
      unfinished: 0,
      latency: { intended: latency, sent: latency },
      perSecond: { sent: perSecond, dropped: perSecond.map(() => 0), latenessMaxMs: perSecond.map(() => 0) },
    };
    return { ...summary, honesty };
  }

  /** Stops the load now; `run()` then resolves with what was measured so far. */
  stop(): void {
    this.stopped = true;
    this.instance?.stop();
  }
}

import autocannon from 'autocannon';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import { seriesKey, type Recorder } from '../contract/series.ts';

export interface LoadGeneratorOptions {
  /** Base URL of the ingress sidecar's outbound listener, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Service the requests are for (sent as the Host header, as a mesh ingress routes them). */
  host: string;
  path: string;
  phases: LoadPhasePlan[];
  /** Most requests in flight at once (autocannon connections). */
  connections: number;
  /** Where each response is recorded, per second, under the `client` series. */
  recorder: Recorder;
  /** A request with no response after this long counts as an error. @default 10000 */
  timeoutMs?: number;
  /**
  The rate is spread over this many autocannon instances started evenly across the first second.
  autocannon paces a fixed rate per connection per wall-clock second, so one instance sends each
  second's requests in a burst at the start of the second; staggered slices turn that into
  `slices` smaller bursts a second, much closer to the steady arrivals of an open-loop client.
  @default 10
  */
  slices?: number;
}

export interface LoadSummary {
  requests: number;
  errors: number;
  status: Record<string, number>;
  errorKinds: Record<string, number>;
  /** Wall time the load ran, ms. */
  elapsedMs: number;
}

/**
Drives the scenario's load with autocannon at a fixed rate per phase, and records every response's
latency (sub-millisecond, from autocannon's own timing) into the `client` series.
*/
export class LoadGenerator {
  private readonly running = new Set<autocannon.Instance>();
  private stopped = false;
  private readonly summary: LoadSummary = { requests: 0, errors: 0, status: {}, errorKinds: {}, elapsedMs: 0 };

  private readonly options: LoadGeneratorOptions;

  constructor(options: LoadGeneratorOptions) {
    this.options = options;
  }

  async run(): Promise<LoadSummary> {
    const started = performance.now();
    for (const phase of this.options.phases) {
      if (this.stopped) break;
      // Phases start on the clock, not after the previous one's stragglers: lateness never adds up.
      await this.runPhase(phase, started + phase.startMs);
    }
    this.summary.elapsedMs = performance.now() - started;
    return this.summary;
  }

  /** Stops the load now; `run()` then resolves with what was sent so far. */
  stop(): void {
    this.stopped = true;
    for (const i of this.running) i.stop();
  }

  private async runPhase(phase: LoadPhasePlan, phaseStart: number): Promise<void> {
    const { rate } = phase;
    if (rate <= 0) {
      await this.idle(phaseStart + phase.durationMs - performance.now());
      return;
    }
    const slices = Math.max(1, Math.min(this.options.slices ?? 10, rate, this.options.connections));
    const runs: Promise<void>[] = [];
    for (let i = 0; i < slices; i++) {
      const offset = Math.round((i * 1000) / slices);
      const sliceRate = Math.floor(rate / slices) + (i < rate % slices ? 1 : 0);
      const connections = Math.max(1, Math.floor(this.options.connections / slices) + (i < this.options.connections % slices ? 1 : 0));
      runs.push(
        this.delay(phaseStart + offset - performance.now()).then(() => {
          // Every slice ends at the phase's end, so the load has a sharp edge the timeline can trust.
          const remaining = phase.durationMs - (performance.now() - phaseStart);
          if (this.stopped || remaining <= 5) return;
          return this.slice(sliceRate, connections, remaining);
        }),
      );
    }
    await Promise.all(runs);
  }

  private slice(rate: number, connections: number, durationMs: number): Promise<void> {
    const { recorder } = this.options;
    const key = seriesKey.client();
    // Without a callback autocannon returns an Instance (an EventEmitter that is also thenable); its types only describe the promise.
    const instance = autocannon({
      url: new URL(this.options.path, this.options.url).toString(),
      headers: { host: this.options.host },
      connections: Math.min(connections, rate),
      overallRate: rate,
      duration: durationMs / 1000,
      timeout: (this.options.timeoutMs ?? 10_000) / 1000,
      // autocannon notices the end of its duration only at its next sample tick (1s by default) and
      // keeps sending until then; a short tick makes each slice stop on time.
      sampleInt: 50,
    }) as unknown as autocannon.Instance;
    this.running.add(instance);
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      this.summary.requests++;
      this.summary.status[statusCode] = (this.summary.status[statusCode] ?? 0) + 1;
      recorder.add(key, statusCode, responseTime, null);
    });
    instance.on('reqError', (err: Error) => {
      this.summary.requests++;
      this.summary.errors++;
      this.summary.status.error = (this.summary.status.error ?? 0) + 1;
      const kind = (err as NodeJS.ErrnoException).code ?? err.message;
      this.summary.errorKinds[kind] = (this.summary.errorKinds[kind] ?? 0) + 1;
      recorder.add(key, 'error', NaN, null);
    });
    return new Promise((resolve) => {
      instance.on('done', () => {
        this.running.delete(instance);
        resolve();
      });
    });
  }

  private delay(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
  }

  private async idle(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (!this.stopped && performance.now() < end) await this.delay(Math.min(100, end - performance.now()));
  }
}

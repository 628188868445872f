import autocannon from 'autocannon';
import { Histogram } from '../src/contract/histogram.ts';

/** Where to send: a path's URL and Host header. */
export interface Target {
  url: string;
  host?: string;
}

export interface WindowHooks {
  /** Called when the measured window opens (after the warm-up). */
  onWindowStart?(): void;
  /** Called when it closes, before the load stops. */
  onWindowEnd?(): void;
}

export interface LoadWindowResult {
  /** Latency of every 2xx response completed inside the window, ms with sub-ms precision. */
  histogram: Histogram;
  /** Responses of any status completed inside the window. */
  responses: number;
  /** Responses inside the window whose status was not 2xx. */
  non2xx: number;
  /** Connection errors and timeouts inside the window. */
  errors: number;
  /** Length of the window, ms. */
  windowMs: number;
  /** Responses per second inside the window. */
  rps: number;
}

const REQUEST_TIMEOUT_S = 10;

class Recorder {
  readonly histogram = new Histogram();
  responses = 0;
  non2xx = 0;
  errors = 0;
  private open = false;
  attach(instance: autocannon.Instance): void {
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!this.open) return;
      this.responses++;
      if (statusCode >= 200 && statusCode < 300) this.histogram.record(responseTime);
      else this.non2xx++;
    });
    instance.on('reqError', () => {
      if (this.open) this.errors++;
    });
  }
  /** Waits `warmupMs`, then records for `windowMs` (calling the hooks as the window opens and closes). */
  async measure(warmupMs: number, windowMs: number, hooks: WindowHooks): Promise<LoadWindowResult> {
    await sleep(warmupMs);
    this.open = true;
    hooks.onWindowStart?.();
    const started = performance.now();
    await sleep(windowMs);
    hooks.onWindowEnd?.();
    this.open = false;
    const elapsed = performance.now() - started;
    const { histogram, responses, non2xx, errors } = this;
    return { histogram, responses, non2xx, errors, windowMs: elapsed, rps: responses / (elapsed / 1000) };
  }
}

function cannon(target: Target, opts: { connections: number; overallRate?: number; durationS: number }): autocannon.Instance {
  // Without a callback autocannon returns its EventEmitter instance (also thenable); the types only describe the promise.
  return autocannon({
    url: target.url,
    headers: target.host ? { host: target.host } : undefined,
    connections: opts.connections,
    overallRate: opts.overallRate,
    duration: opts.durationS,
    timeout: REQUEST_TIMEOUT_S,
  }) as unknown as autocannon.Instance;
}

function done(instance: autocannon.Instance): Promise<void> {
  return new Promise((resolve) => instance.once('done', () => resolve()));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Live autocannon instances, so an interrupt can stop them. */
const live = new Set<autocannon.Instance>();

export function stopAllLoad(): void {
  for (const i of live) i.stop();
}

/**
An autocannon instance is thenable (it resolves to its results), so a promise must never resolve
to one directly: it would be adopted and wait for the run to finish. Hence the box.
*/
interface Boxed {
  instance: autocannon.Instance;
}

async function runInstances(instances: Promise<Boxed>[]): Promise<void> {
  await Promise.all(
    instances.map(async (p) => {
      const { instance: i } = await p;
      live.add(i);
      await done(i);
      live.delete(i);
    }),
  );
}

/**
A fixed request rate for a warm-up and then a measured window.

autocannon paces a rate per connection per wall-clock second: each connection sends its share for
the second back to back, then waits for the next second. One instance with 20 connections would
therefore fire 20 concurrent bursts at the top of every second. Instead the bench runs one
single-connection instance per connection, started evenly across the first second, so arrivals
come in `connections` small bursts spread over each second, much closer to a steady 1000 rps.
*/
export async function runFixedRate(
  target: Target,
  opts: { rate: number; connections: number; warmupMs: number; windowMs: number },
  hooks: WindowHooks = {},
): Promise<LoadWindowResult> {
  const { rate, warmupMs, windowMs } = opts;
  const slices = Math.max(1, Math.min(opts.connections, rate));
  const rec = new Recorder();
  // Each slice runs at least warm-up + window after its own start; autocannon stops on its 1s tick.
  const durationS = Math.ceil((warmupMs + windowMs) / 1000);
  const instances: Promise<Boxed>[] = [];
  for (let i = 0; i < slices; i++) {
    const sliceRate = Math.floor(rate / slices) + (i < rate % slices ? 1 : 0);
    const offset = Math.round((i * 1000) / slices);
    instances.push(
      sleep(offset).then(() => {
        const inst = cannon(target, { connections: 1, overallRate: sliceRate, durationS });
        rec.attach(inst);
        return { instance: inst };
      }),
    );
  }
  const [result] = await Promise.all([rec.measure(Math.max(warmupMs, 1000), windowMs, hooks), runInstances(instances)]);
  return result;
}

/** As many requests as `connections` closed-loop connections get through, after a short warm-up. */
export async function runSaturated(
  target: Target,
  opts: { connections: number; warmupMs: number; windowMs: number },
  hooks: WindowHooks = {},
): Promise<LoadWindowResult> {
  const { connections, warmupMs, windowMs } = opts;
  const rec = new Recorder();
  const inst = cannon(target, { connections, durationS: Math.ceil((warmupMs + windowMs) / 1000) });
  rec.attach(inst);
  const [result] = await Promise.all([rec.measure(warmupMs, windowMs, hooks), runInstances([Promise.resolve({ instance: inst })])]);
  return result;
}

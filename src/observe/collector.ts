import type { RunningPod } from '../contract/running-pod.ts';
import { fromRecord, type MeshEvent, type MeshEventRecord } from '../contract/mesh-event.ts';
import { httpJson } from '../util/http-json.ts';
import type { SparseSeries } from '../contract/series.ts';
import { loopDelayFromGauges, type LoopDelay } from '../contract/run-health.ts';

export interface CollectorOptions {
  /** Timeout of one admin call. @default 3000 */
  timeoutMs?: number;
  onEvent?: (event: MeshEvent) => void;
  /** Called once a second with every sidecar's buckets of the second that just ended; polling them costs a request per sidecar per second, so it only happens when set. */
  onSecond?: (second: number, series: SparseSeries) => void;
  /** Epoch ms of second 0, for onSecond. */
  t0?: number;
  /**
  Other processes whose `GET /timeline` is read like a sidecar's (the rate-limit service's quota
  series), by name and base URL; they have no events. The list may change in place (a restart).
  @default none
  */
  timelineSources?: () => { name: string; url: string }[];
}

/**
Reads what every sidecar recorded from its admin endpoint: events as they happen (polled, so a
sidecar's bounded event buffer never overflows unseen) and the per-second stats at the end. A
sidecar that no longer answers (its process was killed) keeps what was read from it before.
*/
export class Collector implements AsyncDisposable {
  private readonly seen = new Map<string, number>();
  private readonly events: MeshEvent[] = [];
  private readonly lastTimeline = new Map<string, SparseSeries>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling: Promise<void> | null = null;

  private readonly sidecars: RunningPod[];
  private readonly options: CollectorOptions;
  private readonly timeoutMs: number;

  constructor(sidecars: RunningPod[], options: CollectorOptions = {}) {
    this.sidecars = sidecars;
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** Starts polling events (and, with onSecond, the last second's stats) every `intervalMs`. */
  start(intervalMs = 1000): void {
    let lastSecond = -1;
    this.timer = setInterval(() => {
      const t0 = this.options.t0;
      const second = t0 === undefined ? -1 : Math.floor((Date.now() - t0) / 1000) - 1;
      const wantStats = this.options.onSecond && second > lastSecond && second >= 0;
      if (wantStats) lastSecond = second;
      this.polling ??= Promise.all([this.pollEvents(), wantStats ? this.pollSecond(second) : null])
        .then(() => undefined)
        .finally(() => (this.polling = null));
    }, intervalMs);
    this.timer.unref();
  }

  /** Every source of a timeline: the sidecars' admin endpoints, then the other sources. */
  private timelineUrls(): { name: string; url: string }[] {
    return [...this.sidecars.map((s) => ({ name: s.instance, url: s.adminUrl })), ...(this.options.timelineSources?.() ?? [])];
  }

  private async pollSecond(second: number): Promise<void> {
    const merged: SparseSeries = {};
    await Promise.all(
      this.timelineUrls().map(async (s) => {
        try {
          const t = await httpJson<{ series: SparseSeries }>(`${s.url}/timeline?since=${second}`, { timeoutMs: this.timeoutMs });
          for (const [key, secs] of Object.entries(t.series)) if (secs[second]) (merged[key] ??= {})[second] = secs[second];
        } catch {
          /* a sidecar that does not answer now is missing from this second's live view only */
        }
      }),
    );
    this.options.onSecond?.(second, merged);
  }

  /** Stops polling, after a last read of the events. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
    await this.pollEvents();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  allEvents(): MeshEvent[] {
    return [...this.events].sort((a, b) => a.at - b.at || a.instance.localeCompare(b.instance) || a.seq - b.seq);
  }

  /** Every sidecar's per-second series, as of now. */
  async timelines(): Promise<SparseSeries[]> {
    await Promise.all(
      this.timelineUrls().map(async (s) => {
        try {
          const t = await httpJson<{ series: SparseSeries }>(`${s.url}/timeline`, { timeoutMs: this.timeoutMs });
          this.lastTimeline.set(s.name, t.series);
        } catch {
          /* keep the last good read of a sidecar that has gone away */
        }
      }),
    );
    return [...this.lastTimeline.values()];
  }

  /**
  Each sidecar's event-loop delay since second 0 (its `/stats` gauges), by instance; a sidecar that
  does not answer, or does not measure it, is missing.
  */
  async loopDelays(): Promise<Record<string, LoopDelay>> {
    const out: Record<string, LoopDelay> = {};
    await Promise.all(
      this.sidecars.map(async (s) => {
        try {
          const { gauges } = await httpJson<{ gauges: Record<string, number> }>(`${s.adminUrl}/stats`, { timeoutMs: this.timeoutMs });
          const loop = loopDelayFromGauges(gauges);
          if (loop) out[s.instance] = loop;
        } catch {
          /* gone (killed): its figures are not known */
        }
      }),
    );
    return out;
  }

  private async pollEvents(): Promise<void> {
    await Promise.all(
      this.sidecars.map(async (s) => {
        const since = this.seen.get(s.instance) ?? 0;
        try {
          const { events } = await httpJson<{ events: MeshEventRecord[] }>(`${s.adminUrl}/events?since=${since}`, { timeoutMs: this.timeoutMs });
          for (const record of events) {
            if (record.seq <= (this.seen.get(s.instance) ?? 0)) continue;
            this.seen.set(s.instance, record.seq);
            // The words are for people reading the stream; what is kept is the facts.
            const e = fromRecord(record);
            this.events.push(e);
            this.options.onEvent?.(e);
          }
        } catch {
          /* a sidecar that does not answer now may answer at the next poll */
        }
      }),
    );
  }
}

import { LoadHonestyMeter, type LoadHonesty } from '../../src/load/load-honesty.ts';

/**
A LoadHonesty as a real open-loop run would report it, built through the meter from a made-up but
plausible send pattern: uniform at `rate` for `seconds`, each send `lateMs(i)` after its time,
every `dropEvery`-th intended request dropped at the cap (none when 0).
*/
export function honestyOf(o: { rate: number; seconds: number; cap?: number; dropEvery?: number; lateMs?: (i: number) => number }): LoadHonesty {
  const durationMs = o.seconds * 1000;
  const meter = new LoadHonestyMeter([{ startMs: 0, durationMs, rate: o.rate }]);
  const n = Math.round((o.rate * durationMs) / 1000);
  for (let i = 0; i < n; i++) {
    const t = (i * 1000) / o.rate;
    if (o.dropEvery && i % o.dropEvery === o.dropEvery - 1) meter.dropped(t, 'cap');
    else meter.sent(t, t + (o.lateMs?.(i) ?? 0.05 + (i % 7) * 0.02));
    meter.inFlightNow(1 + (i % 3));
  }
  return meter.result({
    durationMs,
    arrivals: 'uniform',
    cap: o.cap ?? 10,
    unfinished: 0,
    latency: { intended: { p50: 4.2, p90: 7.9, p99: 12.4, max: 30.1 }, sent: { p50: 4.1, p90: 7.8, p99: 12.1, max: 29.8 } },
  });
}

import { LOAD_GOALS, type LoadHonesty } from '../load/load-honesty.ts';
import type { LoadSummary } from '../load/load-summary.ts';
import { formatCount, formatLatency, formatPercent, formatRate, plural, trimmed } from '../util/format.ts';

/** One figure of a load's honesty, in words; `ok` false when it misses its goal, null when it has none. */
export interface LoadFact {
  label: string;
  value: string;
  ok: boolean | null;
}

/**
How faithfully a run delivered its declared load, as labelled figures with their goals: the
Markdown summary, the HTML report and the live view show the same words. `sender` (an open loop's)
adds how it was sent and the real-time priority asked for.
*/
export function loadFacts(h: LoadHonesty, sender?: LoadSummary['sender']): LoadFact[] {
  if (h.model === 'closed') {
    return [
      { label: 'load', value: `closed loop: ${plural(h.cap, 'request')} in flight, each sent as the previous one was answered`, ok: null },
      { label: 'achieved', value: `${formatRate(h.achievedRate)} (${h.sent} requests)`, ok: null },
      latencyFact(h),
    ];
  }
  const facts: LoadFact[] = [
    { label: 'load', value: `open loop, ${h.arrivals === 'poisson' ? 'Poisson arrivals' : 'evenly spaced'}, at most ${h.cap} in flight (most at once: ${h.maxInFlight})`, ok: null },
    {
      label: 'achieved',
      value: `${formatRate(h.achievedRate)} of ${formatRate(h.targetRate ?? NaN)} · ${h.sent} of the ${h.intended} requests the schedule intended${h.rateRatio !== null ? ` (${formatPercent(h.rateRatio)})` : ''}`,
      ok: h.rateRatio === null ? null : Math.abs(h.rateRatio - 1) <= LOAD_GOALS.rateTolerance,
    },
    ...(sender ? [senderFact(sender)] : []),
    {
      label: 'dropped',
      value: h.dropped.total === 0 ? 'none' : `${h.dropped.total}: ${h.dropped.cap} found ${h.cap} in flight, ${h.dropped.late} came up over ${formatLatency(h.lateBudgetMs ?? NaN)} late`,
      ok: h.dropped.total === 0,
    },
    {
      label: 'lateness',
      value: h.lateness ? `p99 ${formatLatency(h.lateness.p99)}, max ${formatLatency(h.lateness.max)} (over ${formatLatency(h.lateBudgetMs ?? NaN)} late is dropped)` : 'nothing sent',
      ok: null,
    },
  ];
  if (h.interArrivalCv !== null) {
    const [lo, hi] = LOAD_GOALS.poissonCv;
    const uniform = h.arrivals === 'uniform';
    facts.push({
      label: 'inter-arrival CV',
      value: `${trimmed(h.interArrivalCv, 3)} (${uniform ? `evenly spaced: at most ${LOAD_GOALS.uniformMaxCv}` : `Poisson: ${lo}–${hi}`})`,
      ok: uniform ? h.interArrivalCv <= LOAD_GOALS.uniformMaxCv : h.interArrivalCv >= lo && h.interArrivalCv <= hi,
    });
  }
  if (h.busiestWindow) {
    const w = h.busiestWindow;
    facts.push({
      label: `busiest ${w.windowMs}ms`,
      value: `${w.count} sent where ${formatCount(w.expected)} expected (${trimmed(w.ratio, 2)}×${h.arrivals === 'uniform' ? `; at most ${LOAD_GOALS.maxWindowRatio}×` : ''})`,
      ok: h.arrivals === 'uniform' ? w.ratio <= LOAD_GOALS.maxWindowRatio : null,
    });
  }
  facts.push(latencyFact(h));
  if (h.unfinished > 0) facts.push({ label: 'unfinished', value: `${plural(h.unfinished, 'request')} still without a response when the load stopped waiting`, ok: null });
  return facts;
}

function senderFact(sender: NonNullable<LoadSummary['sender']>): LoadFact {
  const how = sender.via === 'socket' ? "the load process's sender thread, writing each request itself at its time" : "undici, from the load process's main thread";
  // A priority asked for and refused is not a missed goal: the figures above say what it cost.
  const priority = sender.priority === null ? '' : sender.priority.startsWith('refused') ? `; real-time priority asked for and ${sender.priority}` : `; real-time priority ${sender.priority}`;
  return { label: 'sent by', value: how + priority, ok: null };
}

function latencyFact(h: LoadHonesty): LoadFact {
  const { intended, sent } = h.latency;
  if (!intended || !sent) return { label: 'latency', value: 'no responses', ok: null };
  if (h.model === 'closed') return { label: 'latency', value: `p50 ${formatLatency(sent.p50)}, p99 ${formatLatency(sent.p99)}, max ${formatLatency(sent.max)}`, ok: null };
  return {
    label: 'latency p99',
    value: `${formatLatency(intended.p99)} from the intended send (what p99(client) reads), ${formatLatency(sent.p99)} from the actual send`,
    ok: null,
  };
}

/** The load's honesty in one line, for a terminal: "100/s of 100/s (100% of the intended requests sent), 0 dropped, late p99 0.31ms max 1.2ms, inter-arrival CV 0.02, busiest 10ms 1×". */
export function loadLine(h: LoadHonesty): string {
  if (h.model === 'closed') return `closed loop, ${h.cap} in flight: ${formatRate(h.achievedRate)} (${h.sent} requests)`;
  const parts = [
    `${formatRate(h.achievedRate)} of ${formatRate(h.targetRate ?? NaN)}${h.rateRatio !== null ? ` (${formatPercent(h.rateRatio)} of the intended requests sent)` : ''}`,
    `${h.dropped.total} dropped${h.dropped.total ? ` (${h.dropped.cap} at the cap, ${h.dropped.late} late)` : ''}`,
  ];
  if (h.lateness) parts.push(`late p99 ${formatLatency(h.lateness.p99)} max ${formatLatency(h.lateness.max)}`);
  if (h.interArrivalCv !== null) parts.push(`inter-arrival CV ${trimmed(h.interArrivalCv, 2)}`);
  if (h.busiestWindow) parts.push(`busiest ${h.busiestWindow.windowMs}ms ${trimmed(h.busiestWindow.ratio, 2)}×`);
  return parts.join(', ');
}

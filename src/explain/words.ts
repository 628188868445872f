import { formatDuration, formatLatency, formatPercent } from '../util/format.ts';
import type { Comparator, LatencySpec } from '../scenario/scenario.ts';
import type { RetryOn } from '../contract/mesh-policy.ts';

/** Small phrases the explanation is built from, so one thing is always said the same way. */

/** "a", "a and b", "a, b and c". */
export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The sidecars that apply a destination's policy: "front's sidecar", "the load generator's ingress sidecar", "the sidecars of front and admin". */
export function sidecarsOf(callers: readonly string[], gateways: readonly string[] = []): string {
  const names = callers.map((c) => (c === 'client' ? "the load generator's ingress" : gateways.includes(c) ? `gateway ${c}` : c));
  if (callers.length === 1) {
    const c = callers[0];
    return c === 'client' ? "the load generator's ingress sidecar" : gateways.includes(c) ? `gateway ${c}'s proxies` : `${c}'s sidecar`;
  }
  return `the proxies of ${andList(names)}`;
}

/** "1ms", "5ms median, 25ms at p99". */
export function latencyText(l: LatencySpec): string {
  return l.kind === 'fixed' ? formatLatency(l.ms) : `${formatLatency(l.p50Ms)} median, ${formatLatency(l.p99Ms)} at p99`;
}

/** What each `retryOn` condition means, in words. */
export function retryOnText(retryOn: readonly RetryOn[], codes: readonly number[]): string {
  // 5xx covers resets and refused connections already (Envoy's retry_on semantics): say it once.
  const effective = retryOn.includes('5xx') ? retryOn.filter((c) => c !== 'reset' && c !== 'connect-failure') : retryOn;
  const words = effective.map((c) => {
    switch (c) {
      case '5xx':
        return '5xx (which includes resets, refused connections and timed-out tries)';
      case 'gateway-error':
        return '502, 503 and 504';
      case 'reset':
        return 'resets';
      case 'connect-failure':
        return 'refused connections';
      case 'retriable-status-codes':
        return codes.length ? `status ${andList(codes.map(String))}` : 'the listed statuses';
    }
  });
  return andList(words);
}

/** "below", "at most", … for a comparison read aloud. */
export function comparatorText(op: Comparator): string {
  switch (op) {
    case '<':
      return 'below';
    case '<=':
      return 'at most';
    case '>':
      return 'above';
    case '>=':
      return 'at least';
    case '==':
      return 'exactly';
    case '!=':
      return 'anything but';
  }
}

/** "5s–13s" or "14s" for an instant, "5s–end" for a span to the end of the run. */
export function spanText(fromMs: number, toMs: number | null): string {
  if (toMs === null) return `${formatDuration(fromMs)}–end`;
  if (toMs === fromMs) return formatDuration(fromMs);
  return `${formatDuration(fromMs)}–${formatDuration(toMs)}`;
}

/** "100%" of requests, or "50% of". */
export function shareOf(percent: number, noun: string): string {
  return percent >= 1 ? `every ${noun}` : `${formatPercent(percent)} of ${noun}s`;
}

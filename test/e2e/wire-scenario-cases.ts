/**
The shipped scenarios with faults on the wire (issue 4), run by test/e2e/wire-scenarios.test.ts;
test/e2e/shipped-scenarios.test.ts leaves these to it.
*/
export interface WireCase {
  file: string;
  code: 0 | 1;
  /** Expectations (by sentence) that must have failed; every other one must have held. */
  failing?: string[];
  /** Compress the run (the scenario's timeline scales; policies, latencies and toxics do not). */
  duration: string;
  /** Faults that must have taken effect, and what their record must say. */
  faults: { name: string; detail: RegExp }[];
}

export const WIRE_CASES: WireCase[] = [
  {
    file: 'slow-link-hidden-by-per-try-timeout.yaml',
    code: 0,
    // 8s: the fault then lasts 4.8s, longer than the 3s toxic, so the twin's slow requests show whole.
    duration: '8s',
    faults: [{ name: 'slow-link', detail: /latency toxic \(downstream, latency=3000.*front-0→store-1/ }],
  },
  {
    file: 'slow-link-hidden-by-per-try-timeout--without-per-try-timeout.yaml',
    code: 1,
    duration: '8s',
    failing: ['p99(client) < 2s between 2s and 10s'],
    faults: [{ name: 'slow-link', detail: /latency toxic/ }],
  },
  {
    file: 'reset-peer-absorbed-by-retry-on-reset.yaml',
    code: 0,
    duration: '6s',
    faults: [{ name: 'resets', detail: /reset_peer toxic \(downstream, timeout=0\) on 1 link\(s\): front-0→store-1/ }],
  },
  {
    file: 'reset-peer-absorbed-by-retry-on-reset--without-retries.yaml',
    code: 1,
    duration: '6s',
    failing: ['success_rate(client) >= 99%', 'success_rate(client) >= 98% during resets'],
    faults: [{ name: 'resets', detail: /reset_peer toxic/ }],
  },
  {
    file: 'locality-keeps-traffic-off-a-bandwidth-limited-link.yaml',
    code: 0,
    duration: '6s',
    faults: [
      { name: 'thin-link-1', detail: /bandwidth toxic \(downstream, rate=16\) on 1 link\(s\): front-0→store-1 \(meshproof's engine, seed \d+\)/ },
      { name: 'thin-link-3', detail: /bandwidth toxic \(downstream, rate=16\) on 1 link\(s\): front-0→store-3/ },
    ],
  },
  {
    file: 'locality-keeps-traffic-off-a-bandwidth-limited-link--without-locality.yaml',
    code: 1,
    duration: '6s',
    failing: ['p90(client) < 1500ms during thin-link-1', 'requests(front -> store-1) == 0', 'requests(front -> store-3) == 0'],
    faults: [{ name: 'thin-link-1', detail: /bandwidth toxic/ }],
  },
  {
    file: 'zone-partition-fails-over-to-the-other-zone.yaml',
    code: 0,
    duration: '6s',
    faults: [{ name: 'zone-a-cut', detail: /2 link\(s\) cut between \[front-0\] and \[store-0, store-2\] \(meshproof's engine, seed \d+\); 2 link\(s\) back up/ }],
  },
  {
    file: 'zone-partition-fails-over-to-the-other-zone--without-outlier-detection.yaml',
    code: 1,
    duration: '6s',
    failing: [
      'requests(front -> store-0) == 0 during zone-a-cut from +1s',
      'requests(front -> store-2) == 0 during zone-a-cut from +1s',
      'requests(front -> store-1) > 0 during zone-a-cut from +1s',
      'requests(front -> store-3) > 0 during zone-a-cut from +1s',
      'success_rate(client) >= 99%',
    ],
    faults: [{ name: 'zone-a-cut', detail: /2 link\(s\) cut/ }],
  },
];

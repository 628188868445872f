/**
The upper bounds on what a scenario may ask, each with the reason a person reads when they reach it.
A run happens on one machine (the reference is a 2-core, 24 GB VM), so every value that sets how much
work a run does, how much it keeps or how much text it prints has a ceiling past which the run could
not keep its promise (it would not deliver the load, not start, or not write its report), or the
file could not be read in reasonable time. The figures in the reasons were measured on that machine
(see "Limits" in docs/scenario-language.md for how).

Written once here: the shape (shape.ts) points its fields at these, the checker (check-shape.ts)
applies them and the per-kind defaults below, the normaliser applies the ones that relate several
fields (instances in all, calls per request, the timeline's size), and the reference table in the
documentation is generated from this list.
*/
export interface Limit {
  /** The largest value allowed, in the unit of what it bounds (a count, characters, ms, requests/s, bytes). */
  readonly max: number;
  /** What is counted, for messages and the reference table: "instances", "characters". */
  readonly unit: string;
  /** What it bounds, for the reference table: "replicas of a service". */
  readonly what: string;
  /** Why, in a clause or two, with what it was derived from. */
  readonly why: string;
}

const MiB = 1_048_576;

export const LIMITS = {
  fileSize: {
    max: MiB,
    unit: 'bytes',
    what: 'size of a scenario file',
    why: 'the largest scenario the other limits allow, with every key written out (100 services, 1000 faults, 1000 expectations), is about 470 KB and is checked in 0.6–1.1 s on a busy 2-core machine; 1 MiB leaves room for comments and x- extensions, and a bigger file is a mistake that would only cost time',
  },
  depth: {
    max: 64,
    unit: 'levels',
    what: 'mappings and lists inside each other, and merge keys (<<) chained through each other',
    why: "the language's deepest key is 8 levels down, which leaves room for x- extensions; the YAML reader runs out of stack at about 800 levels",
  },
  scenarioName: {
    max: 100,
    unit: 'characters',
    what: 'the scenario name',
    why: 'it names the report folder (<date>-<time>-<name>), which must fit in a file name (255 bytes) with room for the parent folders, and JUnit suites',
  },
  name: {
    max: 60,
    unit: 'characters',
    what: 'a service, version, zone or fault name',
    why: 'an instance is named <service>-<index>, and with at most 100 instances that stays within 63 characters, the most a DNS label, a Docker host name or a Kubernetes name may have',
  },
  instanceName: {
    max: 63,
    unit: 'characters',
    what: 'an instance name (<service>-<index>), as a key of instances',
    why: 'the most a DNS label, a Docker host name or a Kubernetes name may have',
  },
  text: {
    max: 1024,
    unit: 'characters',
    what: 'any other text: a description, an expectation sentence, a header value, an image reference, an address',
    why: 'each is one line a person writes and reads back in messages and reports; longer text is a pasted mistake',
  },
  requestPath: {
    max: 8192,
    unit: 'characters',
    what: 'a request path (load.path, healthCheck.path)',
    why: "Node's HTTP servers refuse a request head over 16 KiB (431), and the sidecars add their own headers to every request",
  },
  rate: {
    max: 20_000,
    unit: 'requests/s',
    what: 'a rate: load.rate, a phase rate, a rate limit',
    why: 'the load generator alone (no mesh) tops out at about 11 000–21 000 requests/s on a 2-core machine (the direct path of npm run bench), so a higher rate could never be delivered; through the mesh a run delivers far less (about 1 000–3 000/s per sidecar pair)',
  },
  connections: {
    max: 10_000,
    unit: 'connections',
    what: 'load.connections',
    why: 'each is a socket held open by the load generator and by the ingress sidecar (about 25 KB each in the load generator, measured), and 10 000 already comes near a process\'s usual open-file limit; more connections than requests per second are never used',
  },
  instances: {
    max: 100,
    unit: 'instances',
    what: 'replicas of a service, services, and instances in all (replicas summed over the services)',
    why: 'every instance is two processes (its app and its sidecar, about 19 MB of private memory each); 100 instances took 21 s to start and 3.7 GB on a busy 2-core machine, and past that a run spends its time starting and collecting rather than measuring',
  },
  duration: {
    max: 3_600_000,
    unit: 'ms',
    what: 'any duration: the run, the load, a phase, a timeout, an ejection time, a fault, a latency (toxic latencies in ms and µs too)',
    why: 'results are kept per second for the whole run in memory and in result.json, so a run lasts at most an hour, and a longer time could never be observed in it (Node timers past 24.8 days would even fire at once)',
  },
  certTtl: {
    max: 90 * 24 * 3_600_000,
    unit: 'ms',
    what: "a certificate's lifetime (security.certTTL) and a clock skew",
    why: "istiod caps a workload certificate at 90 days (MAX_WORKLOAD_CERT_TTL); a clock off by more than that judges every certificate alike",
  },
  seriesSeconds: {
    max: 360_000,
    unit: 'series-seconds',
    what: 'per-second figures a run keeps: the series it records (the client, each instance, each edge, each caller-to-instance pair) × the seconds of the run',
    why: 'each is a bucket of counts and a latency histogram held in memory and written to result.json (0.3 KB idle, 2–5 KB busy, up to 19 KB at 20 000 requests/s with a wide spread; measured), so 360 000 keep result.json in the low hundreds of MB, below the 512 MB a JavaScript string may hold, and the report of a long run can be written',
  },
  phases: {
    max: 3600,
    unit: 'phases',
    what: 'load.phases',
    why: 'results are per second and a run lasts at most an hour, so more steps than that could not be told apart; each phase starts its own load clients',
  },
  faults: {
    max: 1000,
    unit: 'faults',
    what: 'faults',
    why: 'each is applied and removed on schedule through the sidecars or the fault engine, and shown as a band in the report; a thousand already covers a fault every few seconds of the longest run',
  },
  expectations: {
    max: 1000,
    unit: 'expectations',
    what: 'expect',
    why: 'each is measured over its window of the timeline once the run ends: 1000 over the whole of a 10-minute run took 11–12 s on a busy 2-core machine (about a minute after an hour-long run), and each is printed with its evidence',
  },
  callsPerRequest: {
    max: 1000,
    unit: 'calls',
    what: 'calls one request of the load makes through the mesh (the calls of the target, of what it calls, and so on; retries not counted)',
    why: 'each call through two sidecars costs about 0.7 ms of CPU (0.66–0.78 core per 1000 requests/s for a sidecar pair, docs/benchmarks.md), so a request of 1000 calls alone takes a core for most of a second',
  },
  retryAttempts: {
    max: 100,
    unit: 'attempts',
    what: 'retries.attempts',
    why: 'each retry is a real request through the mesh: a failing destination sees up to 1 + attempts tries per call, so more than 100 would turn one failing call into more work than a request of the most calls allowed',
  },
  size: {
    max: 64 * MiB,
    unit: 'bytes',
    what: 'a response size',
    why: 'every response is built in memory by the app and passed through two sidecars; a bigger body would measure the harness\'s memory, not the mesh',
  },
  listItems: {
    max: 1000,
    unit: 'items',
    what: 'any other list (calls, zones, retryOn, routes, partition groups)',
    why: 'no list of the language needs more items than there are instances, faults or expectations',
  },
  mapEntries: {
    max: 1000,
    unit: 'entries',
    what: 'any other mapping (mesh, instances, bulkheads, split, headers)',
    why: 'their keys name services, instances or versions, of which there are at most 100 of each',
  },
  count: {
    max: 4_294_967_295,
    unit: '',
    what: 'any other whole number or number (limits, thresholds, bytes and KB/s of toxics)',
    why: "Envoy's and Toxiproxy's thresholds are 32-bit; anything larger means unlimited, which is written unlimited or none where the key allows it",
  },
  seed: {
    max: Number.MAX_SAFE_INTEGER,
    unit: '',
    what: 'seed',
    why: 'any integer a JavaScript number holds exactly',
  },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** How a limit's maximum reads in a message: "100", "1h", "20000/s", "1MiB", "1024 characters". */
export function formatLimit(limit: Limit): string {
  switch (limit.unit) {
    case 'ms':
      return formatMs(limit.max);
    case 'requests/s':
      return `${limit.max}/s`;
    case 'bytes':
      return limit.max % MiB === 0 ? `${limit.max / MiB}MiB` : `${limit.max} bytes`;
    case '':
      return String(limit.max);
    default:
      return `${limit.max} ${limit.unit}`;
  }
}

/** `at most 100 instances: every instance is two processes…`: what a message says after what it found. */
export function atMost(limit: Limit): string {
  return `at most ${formatLimit(limit)}: ${limit.why}`;
}

/** 3 600 000 → "1h"; kept here so the limits do not depend on the duration reader. */
function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

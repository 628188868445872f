import {
  byProfile,
  DEFAULT_PROFILE,
  DEFAULT_TRUST_DOMAIN,
  DEFAULT_VERSION,
  EXTERNAL_REPLICAS_DEFAULT,
  GATEWAY_REPLICAS_DEFAULT,
  MESH_PROFILES,
  OUTBOUND_TRAFFIC_POLICY_DEFAULT,
  RATE_LIMIT_FAILURE_MODES,
  RATE_LIMIT_SERVICE_DEFAULTS,
  READY_TIMEOUT_DEFAULT,
  sharedDefault,
  WORKLOAD_PORT,
  type ProfileDefaults,
} from '../contract/defaults.ts';
import { DEADLINE_MODES, LOAD_BALANCERS, RETRY_ON } from '../contract/mesh-policy.ts';
import { AUTHORIZATION_ACTIONS, MTLS_MODES } from '../contract/security-policy.ts';
import { OUTBOUND_TRAFFIC_POLICIES } from '../contract/gateway-route.ts';
import { formatDuration, formatPercent } from '../util/format.ts';
import { LIMITS, type Limit } from './limits.ts';
import { METRIC_NAMES } from './metrics.ts';

/**
The declarative description of the scenario language: every key, its type, the sentence that
documents it and its default. It is the single source of truth for three things that must agree:
the checker that walks a YAML document (`check-shape.ts`), the JSON Schema editors use
(`json-schema.ts`), and the key reference in docs/scenario-language.md (`key-reference.ts`).
Rules that relate several fields (a call to an unknown service, a cycle, phases that do not add up)
live in `normalise.ts`; what a single field accepts lives here.
*/

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FieldSpec {
  shape: Shape;
  /** One sentence for the reference and the schema's `description`. */
  doc: string;
  required?: boolean;
  /** Written the way a user would write it; filled in when the key is absent and published as the schema's `default`. */
  default?: JsonValue;
  /** A default that depends on other fields, in words (the normaliser computes it). */
  defaultNote?: string;
}

export interface ObjectShape {
  kind: 'object';
  fields: Record<string, FieldSpec>;
  /** `key:` with nothing after it reads as an empty mapping, so every field takes its default. */
  nullAsEmpty?: boolean;
  /** Exactly one of these keys must be present (`calls: { parallel: [...] }` or `{ sequence: [...] }`). */
  exactlyOne?: readonly string[];
  /** Said after "expected exactly one of …" instead of the default `(write { a: [...] } or …)`. */
  exactlyOneHint?: string;
  /** At least one of these keys must be present (an http fault aborts, delays, or both). */
  atLeastOne?: readonly string[];
  /** Said after "expected at least one of …": an example. */
  atLeastOneHint?: string;
  /** Keys a later version of the language will define; named so users reading the design get a clear answer. */
  notYet?: readonly string[];
  /**
  Keys other tools spell differently (Istio's `consecutive5xxErrors`, `http1MaxPendingRequests`),
  with the sentence that says what to write instead. Reported as errors, never silently accepted.
  */
  otherNames?: Record<string, string>;
}

export interface MapShape {
  kind: 'map';
  /** What a key names, for messages: "service name". */
  keyNoun: string;
  keyPattern: string;
  keyHint: string;
  /** Keys that match the pattern but may not be used, with the reason. */
  reserved?: Record<string, string>;
  /**
  Keys that are settings of the mapping itself rather than entries (`mesh.profile` beside the
  destinations). The checker puts their values in the resulting Map under their own key.
  */
  fields?: Record<string, FieldSpec>;
  values: Shape;
  minEntries?: number;
  /** Most entries. @default LIMITS.mapEntries */
  limit?: Limit;
  /** Longest key, in characters. @default LIMITS.name */
  keyLimit?: Limit;
  /**
  The keys are data (header names), not names the scenario defines, so an `x-` key is an entry like
  any other rather than an extension to ignore.
  */
  dataKeys?: boolean;
  nullAsEmpty?: boolean;
}

export interface ListShape {
  kind: 'list';
  items: Shape;
  /** For messages: "a list of service names". */
  noun?: string;
  minItems?: number;
  /** An exact count the language requires (two groups of a partition). */
  maxItems?: number;
  /** Most items. @default LIMITS.listItems */
  limit?: Limit;
  /** Also accept one string with comma-separated items ("5xx,reset"), as Envoy's retry_on is written. */
  commaString?: boolean;
  nullAsEmpty?: boolean;
}

export interface UnionShape {
  kind: 'union';
  options: Shape[];
}

/**
`limit` on a leaf is its ceiling with the reason (limits.ts); without one, the kind's default applies:
LIMITS.text for the length of a string, LIMITS.count for numbers, LIMITS.duration, LIMITS.rate and
LIMITS.size. `max` on an integer is different: the end of its valid range (an HTTP status), said as a range.
*/
export type LeafShape =
  | { kind: 'string'; pattern?: string; patternHint?: string; values?: readonly string[]; noun?: string; limit?: Limit }
  /** `unit`: what the number counts, said in messages (Toxiproxy's attributes are bare numbers in its units). */
  | { kind: 'integer'; min?: number; max?: number; unit?: string; limit?: Limit }
  | { kind: 'number'; min?: number; limit?: Limit }
  | { kind: 'boolean' }
  | { kind: 'duration'; positive?: boolean; limit?: Limit }
  | { kind: 'percent' }
  | { kind: 'rate'; positive?: boolean; limit?: Limit }
  /** A number of bytes: `64KiB`, `1MB`, `512B`, or a bare number of bytes. */
  | { kind: 'size'; limit?: Limit }
  /** A word standing for a value: `none` for null. */
  | { kind: 'literal'; word: string; means: JsonValue }
  /** An explicit YAML null (`key:` with nothing after it, `~`, `null`). */
  | { kind: 'null' }
  | { kind: 'version'; value: number }
  /** A sentence checked later by the expectation parser, once the topology is known. */
  | { kind: 'expectation' };

export type Shape = ObjectShape | MapShape | ListShape | UnionShape | LeafShape;

// ---------------------------------------------------------------------------------------------
// Defaults, as the language writes them, read from the one table of them (contract/defaults.ts)

const durationOrNone = (ms: number | null) => (ms === null ? 'none' : formatDuration(ms));
const limitWord = (n: number | null) => (n === null ? 'unlimited' : String(n));
const listWords = (xs: readonly (string | number)[]) => `[${xs.join(', ')}]`;
/** A default every profile shares, as written in a scenario. */
const written = <T>(pick: (p: ProfileDefaults) => T): T => sharedDefault(pick);

const BACKOFF_BASE = written((p) => p.retriesBlock.backoff.baseMs);
const BACKOFF_TIMES = written((p) => p.retriesBlock.backoff.maxTimesBase);
const HEALTH_CHECK_PATH = written((p) => p.healthCheck.path);
const OVERPROVISIONING = written((p) => p.overprovisioningFactor);

function retriesWords(p: ProfileDefaults): string {
  const r = p.retries;
  if (!r) return 'none';
  const on = [...r.retryOn.filter((c) => c !== 'retriable-status-codes'), ...r.retriableStatusCodes.map(String)];
  return `${r.attempts} attempts on ${on.join(', ')}`;
}

function connectionPoolWords(p: ProfileDefaults): string {
  const c = p.connectionPool;
  if (Object.values(c).every((v) => v === null)) return 'unlimited';
  return `${limitWord(c.maxConnections)} connections, ${limitWord(c.maxPendingRequests)} pending, ${limitWord(c.maxRequests)} requests, ${limitWord(c.maxRetries)} retries`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const NAME_PATTERN = '^[a-z][a-z0-9-]*$';
const NAME_HINT = 'lowercase letters, digits and -, starting with a letter';

const serviceName = { kind: 'string', pattern: NAME_PATTERN, patternHint: NAME_HINT, noun: 'a service name', limit: LIMITS.name } as const;
const zoneName = {
  kind: 'string',
  pattern: '^[a-z0-9][a-z0-9-]*$',
  patternHint: 'a zone name: lowercase letters, digits and -, such as a or us-east-1a',
  noun: 'a zone name',
  limit: LIMITS.name,
} as const;
const versionName = {
  kind: 'string',
  pattern: NAME_PATTERN,
  patternHint: 'a version name: lowercase letters, digits and -, starting with a letter, such as v1 or canary',
  noun: 'a version name',
  limit: LIMITS.name,
} as const;
const none = { kind: 'literal', word: 'none', means: null } as const;
const unlimited = { kind: 'literal', word: 'unlimited', means: null } as const;
const nullValue = { kind: 'null' } as const;
const positiveDuration = { kind: 'duration', positive: true } as const;

export const ARRIVALS = ['uniform', 'poisson'] as const;
export const CHAOS_ENGINES = ['builtin', 'toxiproxy'] as const;
export const RUNTIMES = ['local', 'docker'] as const;
/** host:port, where host is a name, an IPv4 address or a bracketed IPv6 address. */
const ADDRESS_PATTERN = '^([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$';

/** Toxiproxy's toxics, with their attributes in Toxiproxy's own units; `down` is a proxy disabled (enabled=false), not a toxic. */
export const TOXICS: Record<string, { attributes: Record<string, { unit: string; default?: number }>; doc: string }> = {
  latency: { attributes: { latency: { unit: 'ms' }, jitter: { unit: 'ms', default: 0 } }, doc: 'each chunk of data waits latency ± jitter' },
  bandwidth: { attributes: { rate: { unit: 'KB/s' } }, doc: 'data flows at most rate KB/s' },
  slow_close: { attributes: { delay: { unit: 'ms' } }, doc: 'the close is held back delay ms' },
  timeout: { attributes: { timeout: { unit: 'ms', default: 0 } }, doc: 'data is dropped and the connection closed after timeout ms (0: a black hole until the fault ends)' },
  reset_peer: { attributes: { timeout: { unit: 'ms', default: 0 } }, doc: 'the connection is reset (TCP RST) timeout ms after the first data' },
  slicer: {
    attributes: { average_size: { unit: 'bytes' }, size_variation: { unit: 'bytes', default: 0 }, delay: { unit: 'µs', default: 0 } },
    doc: 'writes are cut into pieces of average_size ± size_variation bytes, delay µs apart',
  },
  limit_data: { attributes: { bytes: { unit: 'bytes' } }, doc: 'the connection is closed once bytes have passed' },
  down: { attributes: {}, doc: 'the link is down: connections are refused and open ones closed (Toxiproxy enabled=false)' },
};

/** What the built-in service does per request; also what one instance may override. */
const behaviourFields: Record<string, FieldSpec> = {
  latency: {
    shape: {
      kind: 'union',
      options: [
        { kind: 'duration' },
        {
          kind: 'object',
          fields: {
            p50: { shape: positiveDuration, doc: 'Median time spent per request.', required: true },
            p99: { shape: positiveDuration, doc: '99th percentile; must be >= p50. A log-normal is fitted through both.', required: true },
          },
        },
      ],
    },
    doc: 'Time the built-in service spends on a request before its downstream calls: a fixed duration, or { p50, p99 } for a log-normal spread.',
    default: '1ms',
  },
  errorRate: {
    shape: { kind: 'percent' },
    doc: 'Share of requests answered with errorStatus straight away (a bare number n means n%).',
    default: '0%',
  },
  errorStatus: {
    shape: { kind: 'integer', min: 100, max: 599 },
    doc: 'HTTP status of the injected errors.',
    default: 500,
  },
  concurrency: {
    shape: { kind: 'union', options: [{ kind: 'integer', min: 1 }, nullValue, { kind: 'literal', word: 'unlimited', means: null }] },
    doc: 'Requests the service works on at once; the rest wait in the queue. Unlimited when absent.',
    default: null,
  },
  queue: {
    shape: { kind: 'integer', min: 0 },
    doc: 'Requests that may wait for a concurrency slot; beyond that they are answered 503. Only meaningful with concurrency.',
    default: 100,
  },
  responseSize: {
    shape: { kind: 'size' },
    doc: 'Size of the body the built-in service answers with, such as 64KiB or 1MB (a bare number is bytes), so that bandwidth and data limits on a link matter. At most 64MiB.',
    defaultNote: 'a small body of a few bytes',
  },
};

/** Where an instance runs and which version it is; the service's values, overridable per instance. */
const placementFields: Record<string, FieldSpec> = {
  zone: {
    shape: zoneName,
    doc: "The locality (zone) of the service's instances; callers with locality on prefer endpoints in their own zone.",
    defaultNote: 'no zone',
  },
  version: {
    shape: versionName,
    doc: 'Version label of the instances (a subset, as in an Istio DestinationRule), for traffic splits and share(service version).',
    default: DEFAULT_VERSION,
  },
};

/** The same fields with no defaults: an override only changes what it names. */
const overrideFields: Record<string, FieldSpec> = Object.fromEntries(
  Object.entries({ ...behaviourFields, ...placementFields }).map(([key, { shape, doc }]) => [
    key,
    { shape, doc: `This instance's own value: ${lowerFirst(doc)}` },
  ]),
);

/** A doc sentence inside another sentence: "Median time" → "median time", but "HTTP status" stays as it is. */
export function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

const rateLimitShape: Shape = {
  kind: 'union',
  options: [
    {
      kind: 'object',
      fields: {
        requestsPerSecond: {
          shape: { kind: 'rate', positive: true },
          doc: 'Tokens added to the bucket per second: the sustained rate let through (Linkerd\'s requestsPerSecond).',
          required: true,
        },
        burst: {
          shape: { kind: 'integer', min: 1 },
          doc: 'Size of the bucket: requests let through at once after a quiet spell (Envoy max_tokens).',
          defaultNote: 'requestsPerSecond (rounded up)',
        },
      },
    },
    { kind: 'rate', positive: true },
    none,
    nullValue,
  ],
};

/** A quota's limit: whole requests per second, minute, hour or day, as envoyproxy/ratelimit counts them. */
export const QUOTA_LIMIT_PATTERN = '^\\s*(\\d+)\\s*/\\s*(s|sec|second|m|min|minute|h|hour|d|day)\\s*$';

const quotaShape: ObjectShape = {
  kind: 'object',
  otherNames: {
    requests_per_unit: 'write limit: 100/s (or /m, /h, /d)',
    rate_limit: 'write limit: 100/s (or /m, /h, /d)',
    unit: 'write the unit in limit: 100/s, 6000/m, 1000/h, 20000/d',
    key: 'write by: caller, path or header (with header: <name>)',
    shadow_mode: 'write shadow: true',
  },
  fields: {
    limit: {
      // A bare number is read, to be refused with the unit to write (a quota's unit is its window).
      shape: {
        kind: 'union',
        options: [
          { kind: 'string', pattern: QUOTA_LIMIT_PATTERN, patternHint: 'whole requests per unit, such as 100/s, 6000/m, 1000/h or 20000/d', noun: 'a limit' },
          { kind: 'number' },
        ],
      },
      doc: 'Requests let through per fixed window of a second, minute, hour or day, all instances together: 100/s, 6000/m, 1000/h, 20000/d (0/s refuses every request).',
      required: true,
    },
    by: {
      shape: { kind: 'string', values: ['service', 'caller', 'path', 'header'] },
      doc: "What one counter covers: every request to the service (service), each calling service (caller, from the caller's sidecar), each request path (path, query included) or each value of a header (header, named in header).",
      default: 'service',
    },
    header: {
      shape: { kind: 'string', pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', patternHint: 'a header name such as x-user-id', noun: 'a header name' },
      doc: 'With by: header, the request header whose value is counted by; a request without it is not limited by this quota (as Envoy skips the descriptor).',
    },
    value: {
      shape: { kind: 'string', noun: 'a value' },
      doc: 'Only the requests whose caller, path or header has this value: a counter of its own, which takes precedence over a quota with the same by and no value.',
      defaultNote: 'none: one counter per distinct value',
    },
    shadow: {
      shape: { kind: 'boolean' },
      doc: 'Count and report only: requests over the limit are let through (envoyproxy/ratelimit shadow_mode), to see what a quota would do before enforcing it.',
      default: false,
    },
  },
};

/** The built-in service's behaviour keys: they do not apply to a service that runs its own program (command or image). */
export const BEHAVIOUR_KEYS = ['latency', 'errorRate', 'errorStatus', 'concurrency', 'queue', 'responseSize'] as const;

/** An environment variable's name, as POSIX shells accept it. */
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** Written in YAML as text, a number or true/false; the app sees the text. */
const envValue: Shape = { kind: 'union', options: [{ kind: 'string', noun: 'a text' }, { kind: 'number' }, { kind: 'boolean' }] };

const readyShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    path: 'write http: /healthz',
    port: 'the app is probed on its $PORT',
    regex: 'write log: "<regular expression>"',
    startupTimeout: 'write timeout: 60s',
  },
  fields: {
    tcp: {
      shape: { kind: 'boolean' },
      doc: 'Ready once 127.0.0.1:$PORT accepts a TCP connection (the kind used when none is written).',
    },
    http: {
      shape: { kind: 'string', pattern: '^/', patternHint: 'a path starting with /, such as /healthz', noun: 'a request path' },
      doc: 'Ready once GET on this path at 127.0.0.1:$PORT answers with a 2xx status.',
    },
    log: {
      shape: { kind: 'string', noun: 'a regular expression' },
      doc: 'Ready once a line of its output (stdout or stderr) matches this regular expression (JavaScript syntax), such as "listening on".',
    },
    timeout: {
      shape: positiveDuration,
      doc: 'How long it may take to be ready; past it (or if it exits first) the run stops before the load, exit 2, with the end of its output.',
      default: READY_TIMEOUT_DEFAULT,
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Security: authorization policies (Istio's AuthorizationPolicy, with services for principals)

const stringList = (noun: string, item: LeafShape = { kind: 'string', noun }): Shape => ({
  kind: 'union',
  options: [{ kind: 'list', items: item, minItems: 1, noun: `${noun}s` }, item],
});
const serviceList: Shape = { kind: 'union', options: [{ kind: 'list', items: serviceName, minItems: 1, noun: 'service names' }, serviceName] };
const methodName = { kind: 'string', pattern: '^[A-Za-z*][A-Za-z*]*$', patternHint: 'an HTTP method such as GET, or * forms', noun: 'an HTTP method' } as const;
const pathPattern = { kind: 'string', pattern: '^[/*]', patternHint: "a path starting with / (or a * suffix form such as *.png)", noun: 'a path', limit: LIMITS.requestPath } as const;
const portList: Shape = { kind: 'union', options: [{ kind: 'list', items: { kind: 'integer', min: 1, max: 65535 }, minItems: 1, noun: 'ports' }, { kind: 'integer', min: 1, max: 65535 }] };

const sourceShape: ObjectShape = {
  kind: 'object',
  otherNames: {
    source: "meshproof writes the source's fields directly: from: { services: [checkout] }",
    namespaces: 'every meshproof service is in namespace default; name the callers with services',
    serviceAccounts: 'a service account is the service: write services',
    requestPrincipals: 'meshproof has no JWT authentication (RequestAuthentication)',
    ipBlocks: 'callers are told apart by their identity: write services or principals',
    remoteIpBlocks: 'callers are told apart by their identity: write services or principals',
  },
  fields: {
    services: { shape: serviceList, doc: 'Calling services, by the SPIFFE identity their mutual TLS certificate proves (client is the load generator). A plaintext request matches none.' },
    notServices: { shape: serviceList, doc: 'Callers that do not match; a plaintext request (no identity) is not one of them.' },
    principals: {
      shape: stringList('principal'),
      doc: "Identities as Istio writes them, such as cluster.local/ns/default/sa/checkout, with the prefix*, *suffix and * (any identity) forms.",
    },
    notPrincipals: { shape: stringList('principal'), doc: 'Identities that do not match.' },
  },
};

const operationShape: ObjectShape = {
  kind: 'object',
  otherNames: { operation: "meshproof writes the operation's fields directly: to: { paths: [/pay] }", hosts: 'a policy is on one service; hosts do not apply' },
  fields: {
    methods: { shape: stringList('method', methodName), doc: 'HTTP methods, such as [GET, POST].' },
    notMethods: { shape: stringList('method', methodName), doc: 'Methods that do not match.' },
    paths: { shape: stringList('path', pathPattern), doc: "Request paths (without the query), exact or in Istio's prefix* and *suffix forms: /api/*, *.png." },
    notPaths: { shape: stringList('path', pathPattern), doc: 'Paths that do not match.' },
    ports: { shape: portList, doc: `The workload's port: every meshproof service listens on ${WORKLOAD_PORT} as far as policies are concerned (its container port in the Kubernetes export).` },
    notPorts: { shape: portList, doc: 'Ports that do not match.' },
  },
};

const conditionShape: ObjectShape = {
  kind: 'object',
  otherNames: { key: 'write when: { headers: { x-user: [alice] } } (Istio\'s key: request.headers[x-user])', values: 'write when: { headers: { x-user: [alice] } }' },
  fields: {
    headers: {
      shape: {
        kind: 'map',
        keyNoun: 'header name',
        keyPattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
        keyHint: 'a header name such as x-user',
        keyLimit: LIMITS.text,
        dataKeys: true,
        values: stringList('header value'),
        minEntries: 1,
      },
      doc: "Request headers that must each have one of the values (Istio's request.headers[...] condition), with the prefix*, *suffix and * forms.",
      required: true,
    },
  },
};

const ruleShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  fields: {
    from: {
      shape: { kind: 'union', options: [sourceShape, { kind: 'list', items: sourceShape, minItems: 1, noun: 'sources' }] },
      doc: 'Who sends the request: a source, or a list of them (any may match). Absent: anyone.',
    },
    to: {
      shape: { kind: 'union', options: [operationShape, { kind: 'list', items: operationShape, minItems: 1, noun: 'operations' }] },
      doc: 'What the request does: an operation, or a list of them (any may match). Absent: anything.',
    },
    when: { shape: conditionShape, doc: 'Conditions that must all hold.' },
  },
};

const authorizationPolicyShape: ObjectShape = {
  kind: 'object',
  otherNames: {
    selector: 'a policy under services.<service>.authorization applies to that service',
    spec: 'write the policy\'s fields directly: { action: ALLOW, rules: [...] }',
    provider: 'meshproof has no external authorizer (CUSTOM)',
  },
  fields: {
    name: {
      shape: { kind: 'string', pattern: NAME_PATTERN, patternHint: NAME_HINT, noun: 'a policy name', limit: LIMITS.name },
      doc: 'Names the policy in events, reports and the deciding-policy header (ns[default]-policy[<name>]-rule[<i>]).',
      defaultNote: '<service>-<action>-<index>, such as payments-allow-0',
    },
    action: { shape: { kind: 'string', values: AUTHORIZATION_ACTIONS }, doc: 'ALLOW, DENY or AUDIT (AUDIT never decides; it marks what it matches).', default: 'ALLOW' },
    rules: {
      shape: { kind: 'list', items: ruleShape, noun: 'rules' },
      doc: 'The policy matches when any rule does. No rules: it never matches (an ALLOW policy without rules allows nothing); rules: [{}] matches every request.',
      default: [],
    },
  },
};

const serviceShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    cmd: 'write command: (a command line, or a list [program, arg, …])',
    args: 'write the arguments in command as a list: command: [python3, app.py, --verbose]',
    environment: 'write env: { NAME: value }',
    workdir: 'write cwd: (relative to the scenario file)',
    workingDir: 'write cwd: (relative to the scenario file)',
    healthcheck: 'write ready: { http: /healthz } (or tcp: true, or log: "<regex>")',
    readiness: 'write ready: { http: /healthz } (or tcp: true, or log: "<regex>")',
  },
  fields: {
    replicas: {
      shape: { kind: 'integer', min: 1, limit: LIMITS.instances },
      doc: 'Number of instances, named <service>-0 … <service>-(n-1), each with its own sidecar.',
      default: 1,
    },
    ...behaviourFields,
    calls: {
      shape: {
        kind: 'union',
        options: [
          { kind: 'list', items: serviceName, noun: 'service names' },
          {
            kind: 'object',
            exactlyOne: ['sequence', 'parallel'],
            fields: {
              sequence: { shape: { kind: 'list', items: serviceName, noun: 'service names' }, doc: 'Called one after another.' },
              parallel: { shape: { kind: 'list', items: serviceName, noun: 'service names' }, doc: 'Called all at once; the request waits for all.' },
            },
          },
        ],
      },
      doc: 'Downstream services called once per request, through the sidecar: a list (in sequence), or { parallel: [...] } / { sequence: [...] }.',
      default: [],
    },
    ...placementFields,
    zones: {
      shape: { kind: 'list', items: zoneName, minItems: 1, noun: 'zone names' },
      doc: 'Zones the replicas are spread over in turn (<service>-0 in the first, <service>-1 in the second, …); instead of zone.',
    },
    rateLimit: {
      shape: rateLimitShape,
      doc: "Local rate limit at each instance's inbound sidecar (Envoy local_ratelimit, a token bucket): requests over it are answered 429 with flag RL. { requestsPerSecond, burst } or a rate such as 100/s.",
      default: 'none',
    },
    quotas: {
      shape: { kind: 'list', items: quotaShape, nullAsEmpty: true, noun: 'quotas' },
      doc: "Global rate limits on requests to this service, counted for all its instances together by the rate-limit service (envoyproxy/ratelimit) that each instance's sidecar consults: requests over a limit are answered 429 with flag RL. Each is { limit, by, header, value, shadow }.",
      default: [],
    },
    bulkheads: {
      shape: {
        kind: 'map',
        keyNoun: 'called service',
        keyPattern: NAME_PATTERN,
        keyHint: NAME_HINT,
        values: { kind: 'integer', min: 1 },
        nullAsEmpty: true,
      },
      doc: "Most requests each instance's sidecar keeps in flight to one destination, keyed by that called service (e.g. { payments: 10 }); beyond it calls fail fast with 503 and flag UO, so one slow dependency cannot take all of this service's capacity.",
      default: {},
    },
    instances: {
      shape: {
        kind: 'map',
        keyNoun: 'instance name',
        keyPattern: '^[a-z][a-z0-9-]*-[0-9]+$',
        keyHint: 'an instance name such as store-1 (<service>-<index>)',
        keyLimit: LIMITS.instanceName,
        values: { kind: 'object', nullAsEmpty: true, fields: overrideFields },
        nullAsEmpty: true,
      },
      doc: 'Per-instance differences, keyed by instance name (e.g. store-2: { latency: 150ms } for one slow replica); keys: latency, errorRate, errorStatus, concurrency, queue, responseSize, zone, version.',
      default: {},
    },
    mtls: {
      shape: { kind: 'string', values: MTLS_MODES },
      doc: "What this service's instances accept (Istio's PeerAuthentication on the workload): STRICT (mutual TLS only; a plaintext caller is refused at the connection), PERMISSIVE (mutual TLS or plaintext) or DISABLE (plaintext only). The narrower setting wins over security.mtls.",
      defaultNote: 'security.mtls',
    },
    authorization: {
      shape: { kind: 'list', items: authorizationPolicyShape, noun: 'authorization policies' },
      doc: "Authorization policies on requests into this service (Istio's AuthorizationPolicy): DENY policies are checked first, then ALLOW ones (with any ALLOW policy, a request none matches is denied); AUDIT only marks. A refused request gets 403 RBAC: access denied.",
      default: [],
    },
    image: {
      shape: { kind: 'string', pattern: '^[a-z0-9][A-Za-z0-9._/:@-]*$', patternHint: 'a local Docker image reference such as my-team/payments:1.4', noun: 'an image reference' },
      doc: "The service's own app as a locally present Docker image instead of the built-in service (Docker runtime only), with the contract of command: it listens on $PORT and reaches each service it calls at $<NAME>_URL (docs/own-services.md). The built-in service's behaviour keys (latency, errorRate, …) are errors beside it; calls still names the services it calls.",
      defaultNote: 'none: the built-in service',
    },
    command: {
      shape: {
        kind: 'union',
        options: [
          { kind: 'string', pattern: '\\S', patternHint: 'a command line', noun: 'a command line' },
          { kind: 'list', items: { kind: 'string', noun: 'an argument' }, minItems: 1, noun: 'the program and its arguments' },
        ],
      },
      doc: "The service's own program instead of the built-in service (local runtime): a command line run by sh -c, or a list [program, arg, …] run as is, whose items may use ${...}. It listens on 127.0.0.1:$PORT and reaches each service it calls at $<NAME>_URL (docs/own-services.md). The built-in service's behaviour keys (latency, errorRate, …) are errors beside it.",
      defaultNote: 'none: the built-in service',
    },
    cwd: {
      shape: { kind: 'string', pattern: '\\S', patternHint: 'a folder', noun: 'a folder' },
      doc: "Working folder of command, relative to the scenario file's folder (or absolute).",
      defaultNote: "the scenario file's folder",
    },
    env: {
      shape: {
        kind: 'map',
        keyNoun: 'environment variable',
        keyPattern: ENV_NAME_PATTERN,
        keyHint: 'letters, digits and _, not starting with a digit, such as LOG_LEVEL',
        values: envValue,
        nullAsEmpty: true,
      },
      doc: "Environment of the service's own program (command or image), on top of what meshproof sets: { NAME: value }, where a value may use ${PORT}, ${MESHPROOF_INSTANCE}, ${MESHPROOF_SERVICE}, ${MESHPROOF_SIDECAR} and ${<NAME>_URL} of each called service ($$ for a literal $).",
      default: {},
    },
    ready: {
      shape: readyShape,
      doc: "When the service's own program (command or image) is ready for traffic: { tcp: true }, { http: /healthz } or { log: \"<regex>\" }, and the timeout. The load starts once every instance is ready.",
      defaultNote: `{ tcp: true, timeout: ${READY_TIMEOUT_DEFAULT} } for a command or image service`,
    },
  },
};

const retriesShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    retryOnStatusCodes: 'write retriableStatusCodes (with retriable-status-codes in retryOn)',
    perTryIdleTimeout: 'meshproof has only perTryTimeout (the time limit of each try)',
  },
  fields: {
    attempts: {
      shape: { kind: 'integer', min: 0, limit: LIMITS.retryAttempts },
      doc: "Retries after the first try, so at most 1 + attempts requests (Envoy's num_retries); 0 means no retries.",
      defaultNote: byProfile((p) => String(p.retriesBlock.attempts)),
    },
    perTryTimeout: {
      shape: { kind: 'union', options: [positiveDuration, none, nullValue] },
      doc: 'Time limit of each try, the first included; a try that runs out is answered 504 and may be retried.',
      default: 'none',
    },
    retryOn: {
      shape: { kind: 'list', items: { kind: 'string', values: RETRY_ON }, minItems: 1, commaString: true, noun: 'retry conditions' },
      doc: 'Which failures are retried, as Envoy names them: 5xx, gateway-error (502, 503, 504), reset, connect-failure, retriable-status-codes. A list or a comma-separated string.',
      defaultNote: byProfile((p) => listWords(p.retriesBlock.retryOn)),
    },
    retriableStatusCodes: {
      shape: { kind: 'list', items: { kind: 'integer', min: 100, max: 599 }, noun: 'HTTP status codes' },
      doc: 'Statuses retried when retryOn contains retriable-status-codes (required then).',
      defaultNote: byProfile((p) => listWords(p.retriesBlock.retriableStatusCodes)),
    },
    backoff: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        fields: {
          base: { shape: positiveDuration, doc: 'Base interval: retry N waits a random time in [0, base × (2^N − 1)).', default: formatDuration(BACKOFF_BASE) },
          max: {
            shape: positiveDuration,
            doc: 'Longest wait between tries; must be >= base.',
            defaultNote: `${BACKOFF_TIMES} × base, as Envoy does (${formatDuration(BACKOFF_BASE * BACKOFF_TIMES)} with the default base)`,
          },
        },
      },
      doc: 'Exponential back-off with full jitter between tries.',
      default: { base: formatDuration(BACKOFF_BASE), max: formatDuration(BACKOFF_BASE * BACKOFF_TIMES) },
    },
    budget: {
      shape: {
        kind: 'union',
        options: [
          {
            kind: 'object',
            nullAsEmpty: true,
            fields: {
              percent: { shape: { kind: 'percent' }, doc: 'Retries allowed in flight, as a share of active requests.', default: written((p) => formatPercent(p.retriesBlock.budget.percent)) },
              minRetryConcurrency: {
                shape: { kind: 'integer', min: 0 },
                doc: 'Retries always allowed in flight, whatever the share.',
                default: written((p) => p.retriesBlock.budget.minRetryConcurrency),
              },
            },
          },
          none,
          nullValue,
        ],
      },
      doc: "Envoy's retry budget: caps concurrent retries so they cannot multiply load during an outage (it replaces connectionPool.maxRetries). Unbudgeted when absent.",
      default: 'none',
    },
  },
};

const limit = (doc: string, key: keyof ProfileDefaults['connectionPool']): FieldSpec => ({
  shape: { kind: 'union', options: [{ kind: 'integer', min: 0 }, unlimited, nullValue] },
  doc,
  defaultNote: byProfile((p) => limitWord(p.connectionPool[key])),
});

const connectionPoolShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    tcp: 'Istio nests maxConnections under tcp; meshproof takes it directly: connectionPool: { maxConnections: 100 }',
    http: 'Istio nests the HTTP limits under http; meshproof takes them directly: connectionPool: { maxPendingRequests: 10, maxRequests: 100, maxRetries: 3 }',
    http1MaxPendingRequests: "that is Istio's name; write maxPendingRequests",
    http2MaxRequests: "that is Istio's name; write maxRequests",
  },
  fields: {
    maxConnections: limit('Connections each caller sidecar opens to the whole destination (Envoy max_connections); requests beyond them wait as pending.', 'maxConnections'),
    maxPendingRequests: limit(
      'Requests waiting for a connection (Envoy max_pending_requests); beyond it a request fails fast with 503, flag UO and x-envoy-overloaded.',
      'maxPendingRequests',
    ),
    maxRequests: limit('Requests in flight to the destination (Envoy max_requests); beyond it a request fails fast with 503 and flag UO.', 'maxRequests'),
    maxRetries: limit(
      'Retries in flight to the destination (Envoy max_retries), when no retry budget is set; a retry beyond it is not made (upstream_rq_retry_overflow).',
      'maxRetries',
    ),
  },
};

const outlierShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    consecutive5xxErrors: "that is Istio's name; write consecutive5xx",
    consecutiveErrors: 'write consecutive5xx (Istio deprecated consecutiveErrors)',
    consecutiveGatewayFailure: "that is Envoy's name; write consecutiveGatewayErrors",
    minHealthPercent: 'set the panic threshold on the destination: panicThreshold (Istio\'s minHealthPercent)',
    splitExternalLocalOriginErrors: 'meshproof counts locally originated errors (reset, connect failure, timeout) with the 5xx, as Envoy does by default',
  },
  fields: {
    consecutive5xx: {
      shape: { kind: 'union', options: [{ kind: 'integer', min: 1 }, none, nullValue] },
      doc: 'Consecutive 5xx (resets, connect failures and timeouts included) after which an endpoint is ejected; none turns this check off.',
      defaultNote: byProfile((p) => String(p.outlierDetection.consecutive5xx ?? 'none')),
    },
    consecutiveGatewayErrors: {
      shape: { kind: 'union', options: [{ kind: 'integer', min: 1 }, none, nullValue] },
      doc: 'Consecutive 502, 503 or 504 after which an endpoint is ejected (Envoy detects them but does not enforce by default).',
      default: 'none',
    },
    interval: {
      shape: positiveDuration,
      doc: 'Sweep interval: ejections end at sweeps, and while an endpoint stays healthy its ejection count drops by one per interval.',
      defaultNote: byProfile((p) => formatDuration(p.outlierDetection.intervalMs)),
    },
    baseEjectionTime: {
      shape: positiveDuration,
      doc: 'An ejection lasts baseEjectionTime × the number of times the endpoint has been ejected.',
      defaultNote: byProfile((p) => formatDuration(p.outlierDetection.baseEjectionTimeMs)),
    },
    maxEjectionTime: {
      shape: positiveDuration,
      doc: 'Longest ejection, however often the endpoint was ejected; must be >= baseEjectionTime.',
      defaultNote: byProfile((p) => formatDuration(p.outlierDetection.maxEjectionTimeMs)),
    },
    maxEjectionPercent: {
      shape: { kind: 'percent' },
      doc: 'Most of the destination\'s endpoints that may be ejected at once.',
      defaultNote: byProfile((p) => formatPercent(p.outlierDetection.maxEjectionPercent)),
    },
  },
};

const healthCheckShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    unhealthy_threshold: 'write unhealthyThreshold',
    periodSeconds: "that is Kubernetes' name; write interval (a duration, such as 10s)",
    failureThreshold: "that is Kubernetes' name; write unhealthyThreshold",
    successThreshold: "that is Kubernetes' name; write healthyThreshold",
  },
  fields: {
    interval: { shape: positiveDuration, doc: 'Time between two probes of each endpoint, from each caller sidecar.', default: written((p) => formatDuration(p.healthCheck.intervalMs)) },
    timeout: { shape: positiveDuration, doc: 'A probe not answered within this time has failed.', default: written((p) => formatDuration(p.healthCheck.timeoutMs)) },
    unhealthyThreshold: {
      shape: { kind: 'integer', min: 1 },
      doc: 'Failed probes in a row after which the endpoint is unhealthy (not picked).',
      default: written((p) => p.healthCheck.unhealthyThreshold),
    },
    healthyThreshold: {
      shape: { kind: 'integer', min: 1 },
      doc: 'Passed probes in a row after which an unhealthy endpoint is healthy again.',
      default: written((p) => p.healthCheck.healthyThreshold),
    },
    path: {
      shape: { kind: 'string', pattern: '^/', patternHint: 'a path starting with /', noun: 'a request path', limit: LIMITS.requestPath },
      doc: `Path probed; the built-in service answers ${HEALTH_CHECK_PATH} without taking a concurrency slot.`,
      default: HEALTH_CHECK_PATH,
    },
  },
};

const faultPercent: FieldSpec = {
  shape: { kind: 'percent' },
  doc: 'Share of requests it applies to; Istio injects nothing without one, so it is required.',
  required: true,
};

const standingFaultShape: ObjectShape = {
  kind: 'object',
  atLeastOne: ['delay', 'abort'],
  atLeastOneHint: 'e.g. fault: { abort: { status: 503, percent: 5% } }',
  otherNames: { fixedDelay: 'write delay: { fixed: 200ms, percent: 10% }', httpStatus: 'write abort: { status: 503, percent: 5% }' },
  fields: {
    delay: {
      shape: {
        kind: 'object',
        otherNames: { fixedDelay: "that is Istio's name; write fixed", percentage: "write percent: 10% (Istio's percentage.value)" },
        fields: {
          fixed: { shape: positiveDuration, doc: 'How long the request is held before it is sent on.', required: true },
          percent: faultPercent,
        },
      },
      doc: 'Delay some requests before sending them on (Istio HTTPFaultInjection.Delay, flag DI).',
    },
    abort: {
      shape: {
        kind: 'object',
        otherNames: { httpStatus: "that is Istio's name; write status", percentage: "write percent: 5% (Istio's percentage.value)" },
        fields: {
          status: { shape: { kind: 'integer', min: 200, max: 599 }, doc: 'Status the aborted requests are answered with.', required: true },
          percent: faultPercent,
        },
      },
      doc: 'Answer some requests at once with a status, without sending them (Istio HTTPFaultInjection.Abort, flag FI).',
    },
  },
};

const headerMatchShape: MapShape = {
  kind: 'map',
  keyNoun: 'header name',
  keyPattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
  keyHint: 'a header name such as x-user',
  keyLimit: LIMITS.text,
  dataKeys: true,
  values: {
    kind: 'union',
    options: [
      { kind: 'string', noun: 'a header value' },
      {
        kind: 'object',
        notYet: ['prefix', 'regex'],
        fields: { exact: { shape: { kind: 'string', noun: 'a header value' }, doc: 'The value the header must have.', required: true } },
      },
    ],
  },
  minEntries: 1,
};

const routeShape: ObjectShape = {
  kind: 'object',
  otherNames: { destination: 'write version: v2 (the version the matching requests go to)', subset: "write version: v2 (Istio's subset)" },
  fields: {
    match: {
      shape: {
        kind: 'object',
        notYet: ['uri', 'method', 'queryParams'],
        fields: { headers: { shape: headerMatchShape, doc: 'Request headers that must all match: a value, or { exact: value }.', required: true } },
      },
      doc: 'What a request must carry to take this route.',
      required: true,
    },
    version: { shape: versionName, doc: 'The version (subset) the matching requests go to.', required: true },
  },
};

const destinationShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  otherNames: {
    mtls: "mutual TLS is the service's own setting (Istio's PeerAuthentication): write services.<service>.mtls, or security.mtls for the whole mesh; callers originate it automatically",
    tls: "callers' sidecars originate mutual TLS automatically (Istio's auto mTLS, ISTIO_MUTUAL); set what a service accepts with services.<service>.mtls",
    authorization: 'authorization is enforced at the callee: write services.<service>.authorization',
    rateLimit: 'a rate limit applies at the callee: set services.<service>.rateLimit',
    minHealthPercent: "that is Istio's name; write panicThreshold",
    consistentHash: 'meshproof balances with round_robin, least_request or random (loadBalancer)',
    outlier_detection: 'write outlierDetection',
  },
  fields: {
    timeout: {
      shape: { kind: 'union', options: [positiveDuration, none, nullValue] },
      doc: 'Time limit for the whole request, retries included; on expiry the caller gets 504 (Envoy flag UT).',
      defaultNote: byProfile((p) => durationOrNone(p.timeoutMs)),
    },
    retries: {
      shape: { kind: 'union', options: [retriesShape, none, nullValue] },
      doc: "Retry policy of callers' sidecars toward this service.",
      defaultNote: byProfile(retriesWords),
    },
    loadBalancer: {
      shape: { kind: 'string', values: LOAD_BALANCERS },
      doc: 'How a caller picks an instance: round_robin, least_request (power of two choices) or random.',
      defaultNote: byProfile((p) => p.loadBalancer),
    },
    connectionPool: {
      shape: connectionPoolShape,
      doc: "Circuit breaking: limits each caller's sidecar enforces toward this destination; unlimited is written unlimited.",
      defaultNote: byProfile(connectionPoolWords),
    },
    outlierDetection: {
      shape: { kind: 'union', options: [outlierShape, none, nullValue] },
      doc: "Passive health checking: each caller's sidecar ejects an endpoint that fails in a row, for a time. {} turns it on with the profile's values.",
      default: 'none',
    },
    panicThreshold: {
      shape: { kind: 'percent' },
      doc: 'When less than this share of endpoints is healthy, callers use every endpoint, ejected ones included (Envoy panic mode); 0% never panics: they answer 503 UH instead.',
      defaultNote: byProfile((p) => formatPercent(p.panicThreshold)),
    },
    healthCheck: {
      shape: { kind: 'union', options: [healthCheckShape, none, nullValue] },
      doc: "Active health checks from each caller's sidecar (as Envoy's health_checks). {} turns them on with the defaults.",
      default: 'none',
    },
    fault: {
      shape: { kind: 'union', options: [standingFaultShape, none, nullValue] },
      doc: "A fault for the whole run at every caller's outbound toward this service (Istio VirtualService fault); retries and timeouts do not apply to what it injects. For a fault during a window, use faults.",
      default: 'none',
    },
    locality: {
      shape: {
        kind: 'union',
        options: [
          { kind: 'boolean' },
          {
            kind: 'object',
            nullAsEmpty: true,
            fields: {
              enabled: { shape: { kind: 'boolean' }, doc: "Whether callers prefer endpoints in their own zone.", default: true },
              overprovisioningFactor: {
                shape: { kind: 'number', min: 1 },
                doc: "Envoy's overprovisioning factor: the caller's zone keeps all traffic while healthy share × factor >= 100%, and spills over as it drops.",
                default: OVERPROVISIONING,
              },
            },
          },
        ],
      },
      doc: "Locality-aware load balancing (true, false, or { enabled, overprovisioningFactor }): prefer the caller's zone and fail over as its healthy share drops.",
      defaultNote: `${byProfile((p) => (p.locality === 'off' ? 'off' : 'on when outlierDetection is set, as Istio does'))}; overprovisioningFactor ${OVERPROVISIONING}`,
    },
    split: {
      shape: { kind: 'map', keyNoun: 'version', keyPattern: NAME_PATTERN, keyHint: 'a version name such as v2', values: { kind: 'percent' }, minEntries: 1 },
      doc: 'Traffic split over the versions of the service, such as { v1: 90%, v2: 10% }; the weights add up to 100%, and requests a route matches are not split.',
      defaultNote: 'none: every instance alike',
    },
    routes: {
      shape: { kind: 'list', items: routeShape, noun: 'routes' },
      doc: 'Header-matched routes to one version, first match wins (A/B testing), such as [{ match: { headers: { x-user: jason } }, version: v2 }].',
      default: [],
    },
    deadlines: {
      shape: { kind: 'string', values: DEADLINE_MODES },
      doc: "propagate: requests to this service carry the caller's remaining time (x-envoy-expected-rq-timeout-ms); its sidecar ends a request whose time is up (504, flags UT and DE), its built-in service stops working on it and passes what is left on, and a caller's sidecar takes the lesser of its timeout and that time. off: each hop keeps its own timeouts.",
      defaultNote: `mesh.deadlines, else ${byProfile((p) => p.deadlines)}`,
    },
  },
};

const phaseShape: ObjectShape = {
  kind: 'object',
  fields: {
    for: { shape: positiveDuration, doc: 'How long this phase lasts.', required: true },
    rate: { shape: { kind: 'rate' }, doc: 'Requests per second during this phase (0 for a pause).', required: true },
  },
};

const loadShape: ObjectShape = {
  kind: 'object',
  notYet: ['method', 'headers', 'body'],
  fields: {
    target: {
      shape: serviceName,
      doc: 'The service the load generator sends requests to (through its sidecar), or an ingress gateway (through a load balancer in front of its replicas).',
      required: true,
    },
    rate: {
      shape: { kind: 'rate', positive: true },
      doc: 'Open-loop request rate: 200/s, 200rps, 12000/m, or a bare number per second. Each request has an intended send time and goes out whatever the responses do.',
      defaultNote: "the first phase's rate when phases are given; without rate and phases, the load is closed loop (connections is then required)",
    },
    arrivals: {
      shape: { kind: 'string', values: ARRIVALS },
      doc: "How an open-loop load spreads its requests: uniform (evenly spaced) or poisson (exponential gaps, seeded from the scenario's seed).",
      default: 'uniform',
    },
    connections: {
      shape: { kind: 'integer', min: 1, limit: LIMITS.connections },
      doc: 'Most requests in flight. Open loop: a request that finds this many in flight is dropped and counted, never sent late. Closed loop (no rate): this many requests in flight, each sent as the previous one is answered.',
      defaultNote: 'max(10, ceil(highest rate / 10)); required for closed loop',
    },
    duration: { shape: positiveDuration, doc: "How long load is sent; at most the scenario's duration.", defaultNote: "the scenario's duration" },
    path: { shape: { kind: 'string', pattern: '^/', patternHint: 'a path starting with /', noun: 'a request path', limit: LIMITS.requestPath }, doc: 'Request path.', default: '/' },
    plaintext: {
      shape: { kind: 'boolean' },
      doc: "Whether the load generator is an outside client: its requests reach the target in plaintext, with no identity (a STRICT target refuses them at the connection). By default it is inside the mesh and its sidecar speaks mutual TLS.",
      default: false,
    },
    host: {
      shape: { kind: 'string', pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$', patternHint: 'a host name such as shop.example.com (lowercase)', noun: 'a host', limit: LIMITS.name },
      doc: "The Host header of the load's requests: what an ingress gateway's routes match on.",
      defaultNote: "the target's name",
    },
    phases: {
      shape: { kind: 'list', items: phaseShape, minItems: 1, noun: 'phases', limit: LIMITS.phases },
      doc: 'Piecewise-constant rate, in order from the start of the load; their lengths must add up to the load duration.',
    },
  },
};

// ---------------------------------------------------------------------------------------------
// The edges of the mesh: gateways and external services

/** A host a gateway route serves: a name, a `*.suffix` wildcard, or `*`. */
const routeHost = {
  kind: 'string',
  pattern: '^(\\*|(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$',
  patternHint: 'a host name such as shop.example.com, a wildcard such as *.example.com, or * for any host (lowercase)',
  noun: 'a host',
  limit: LIMITS.name,
} as const;

/** How a path or a header value is compared: exactly one of exact, prefix, regex. */
function stringMatchShape(noun: string, example: string): ObjectShape {
  return {
    kind: 'object',
    exactlyOne: ['exact', 'prefix', 'regex'],
    exactlyOneHint: `(write { exact: ${example} }, { prefix: ${example} } or { regex: "<expression>" })`,
    fields: {
      exact: { shape: { kind: 'string', noun }, doc: `The ${noun} must be exactly this.` },
      prefix: { shape: { kind: 'string', noun }, doc: `The ${noun} must start with this (a plain string prefix, as Istio's: /api also matches /apis).` },
      regex: { shape: { kind: 'string', noun: 'a regular expression' }, doc: `The whole ${noun} must match this regular expression (JavaScript syntax; Envoy uses RE2, a subset).` },
    },
  };
}

const gatewayMatchShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  notYet: ['method', 'queryParams', 'scheme', 'port'],
  otherNames: {
    uri: 'write path: { prefix: /api } (Istio calls it uri)',
    authority: 'write host on the route: host: shop.example.com',
    host: 'host goes on the route, beside match: - host: shop.example.com',
  },
  fields: {
    path: {
      shape: stringMatchShape('request path', '/api'),
      doc: 'The request path (without its query): { exact: /health }, { prefix: /api } or { regex: "/v[0-9]+/.*" }.',
      defaultNote: 'any path',
    },
    headers: {
      shape: {
        kind: 'map',
        keyNoun: 'header name',
        keyPattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
        keyHint: 'a header name such as x-canary',
        keyLimit: LIMITS.text,
        dataKeys: true,
        values: { kind: 'union', options: [{ kind: 'string', noun: 'a header value' }, stringMatchShape('header value', 'beta')] },
        minEntries: 1,
      },
      doc: 'Request headers that must all be present and match: a value (exact), or { exact | prefix | regex }.',
      defaultNote: 'no header condition',
    },
  },
};

const gatewayRouteShape: ObjectShape = {
  kind: 'object',
  otherNames: {
    route: 'write to: checkout, or to: { checkout: 90%, legacy: 10% }',
    destination: 'write to: checkout',
    hosts: 'write host: shop.example.com, or a list: host: [a.example.com, b.example.com]',
    timeout: 'a destination\'s timeout is mesh.<service>.timeout, which the gateway applies as every caller does',
    retries: 'a destination\'s retries are mesh.<service>.retries, which the gateway applies as every caller does',
  },
  fields: {
    host: {
      shape: { kind: 'union', options: [routeHost, { kind: 'list', items: routeHost, minItems: 1, noun: 'hosts' }] },
      doc: 'The Host headers this rule serves (port ignored): a name, *.suffix, or * for any; a request picks its host first (exact, then the longest wildcard, then *), then the first rule of that host that matches.',
      default: '*',
    },
    match: {
      shape: { kind: 'union', options: [gatewayMatchShape, { kind: 'list', items: gatewayMatchShape, minItems: 1, noun: 'match blocks' }] },
      doc: 'What a request must carry to take this rule: { path, headers } (all must hold), or a list of such blocks (any one will do), as an Istio VirtualService match.',
      defaultNote: 'every request of its hosts',
    },
    to: {
      shape: {
        kind: 'union',
        options: [
          serviceName,
          { kind: 'map', keyNoun: 'destination service', keyPattern: NAME_PATTERN, keyHint: NAME_HINT, values: { kind: 'percent' }, minEntries: 1 },
        ],
      },
      doc: 'Where matching requests go: a service, or services with weights that add up to 100% ({ checkout: 90%, checkout-next: 10% }).',
      required: true,
    },
  },
};

const gatewayShape: ObjectShape = {
  kind: 'object',
  otherNames: {
    servers: 'write routes (and tls: true to terminate TLS); the gateway listens where the runtime puts it',
    selector: 'a gateway here is its own replicas: write replicas',
    type: 'write kind: ingress or kind: egress',
    http: 'write routes: [{ match: { path: { prefix: /api } }, to: checkout }]',
  },
  fields: {
    kind: {
      shape: { kind: 'string', values: ['ingress', 'egress'] },
      doc: 'ingress: where traffic enters the mesh (load.target may name it; routes say where it goes); egress: where calls to external services leave it (then only through it).',
      required: true,
    },
    replicas: {
      shape: { kind: 'integer', min: 1, limit: LIMITS.instances },
      doc: 'Gateway instances, named <gateway>-0 … <gateway>-(n-1), each a proxy process of its own; the load is spread over an ingress gateway\'s replicas by a load balancer in front.',
      default: GATEWAY_REPLICAS_DEFAULT,
    },
    routes: {
      shape: { kind: 'list', items: gatewayRouteShape, minItems: 1, noun: 'routes' },
      doc: 'Ingress only: the routing rules, in order (an Istio VirtualService bound to this gateway); a request no rule matches is answered 404 with flag NR.',
      defaultNote: 'required for an ingress gateway',
    },
    tls: {
      shape: {
        kind: 'union',
        options: [
          { kind: 'boolean' },
          {
            kind: 'object',
            nullAsEmpty: true,
            otherNames: { credentialName: 'meshproof issues the certificate itself (from the mesh CA with security, else self-signed)', httpsRedirect: 'not yet: the gateway listens for TLS only when tls is set' },
            fields: { mode: { shape: { kind: 'string', values: ['SIMPLE'] }, doc: 'SIMPLE: the gateway terminates TLS; clients present no certificate.', default: 'SIMPLE' } },
          },
        ],
      },
      doc: 'Ingress only: terminate TLS at the gateway (Istio tls.mode SIMPLE) with a certificate for its route hosts from the mesh CA when the scenario has security, else from a root made for the run; the load balancer in front then speaks TLS to it, trusting that root. true, or { mode: SIMPLE }.',
      default: false,
    },
    rateLimit: {
      shape: rateLimitShape,
      doc: 'Local rate limit at each replica of the gateway (Envoy local_ratelimit, a token bucket): requests over it are answered 429 with flag RL.',
      default: 'none',
    },
  },
};

const externalShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  notYet: ['command', 'image'],
  otherNames: {
    calls: 'an external service stands outside the mesh and calls nothing',
    hosts: 'an external is reached by its name, as a service is: calls: [card-api]',
    location: 'an external is MESH_EXTERNAL; a service inside the mesh goes under services',
    resolution: 'meshproof resolves an external by its name',
    rateLimit: 'an external has no sidecar to rate limit it; give it an errorRate with errorStatus: 429, or a concurrency',
  },
  fields: {
    replicas: {
      shape: { kind: 'integer', min: 1, limit: LIMITS.instances },
      doc: 'Instances behind its one name (a ServiceEntry\'s endpoints), named <external>-0 … ; callers balance over them.',
      default: EXTERNAL_REPLICAS_DEFAULT,
    },
    ...behaviourFields,
    registered: {
      shape: { kind: 'boolean' },
      doc: 'Whether the mesh knows it (Istio: a ServiceEntry): policies under mesh apply to it and REGISTRY_ONLY lets it through. false: callers reach it only as an unknown host, passed through under ALLOW_ANY (no policy applies) and refused under REGISTRY_ONLY (502, BlackHoleCluster).',
      default: true,
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Faults

const scheduledHttpShape: ObjectShape = {
  kind: 'object',
  atLeastOne: ['abort', 'delay'],
  atLeastOneHint: 'e.g. http: { abort: 503 } or http: { delay: 300ms, percent: 50% }',
  otherNames: { fixedDelay: 'write delay: 300ms', httpStatus: 'write abort: 503', percentage: 'write percent: 50%' },
  fields: {
    abort: {
      shape: {
        kind: 'union',
        options: [
          { kind: 'integer', min: 200, max: 599 },
          {
            kind: 'object',
            fields: {
              status: { shape: { kind: 'integer', min: 200, max: 599 }, doc: 'Status the aborted requests are answered with.', required: true },
              percent: { shape: { kind: 'percent' }, doc: 'Share of requests aborted.', defaultNote: "the fault's percent" },
            },
          },
        ],
      },
      doc: 'Answer requests at once with this status (flag FI): a status, or { status, percent }.',
    },
    delay: {
      shape: {
        kind: 'union',
        options: [
          positiveDuration,
          {
            kind: 'object',
            fields: {
              fixed: { shape: positiveDuration, doc: 'How long requests are held.', required: true },
              percent: { shape: { kind: 'percent' }, doc: 'Share of requests delayed.', defaultNote: "the fault's percent" },
            },
          },
        ],
      },
      doc: 'Hold requests this long before passing them on (flag DI): a duration, or { fixed, percent }.',
    },
    percent: { shape: { kind: 'percent' }, doc: 'Share of requests the abort and the delay apply to (each rolled on its own).', default: '100%' },
    at: {
      shape: { kind: 'string', values: ['inbound', 'outbound'] },
      doc: "Where the sidecar injects it: at the target instances' inbound (callers see a real failure, and may retry it), or at the callers' outbound (as an Istio VirtualService fault: not retried).",
      defaultNote: 'inbound for an instance or a service target, outbound for an edge',
    },
  },
};

const toxicShape: ObjectShape = {
  kind: 'object',
  otherNames: { attributes: 'write the attributes directly in toxic, as in toxic: { type: latency, latency: 300 }', name: "the toxic is named after the fault" },
  fields: {
    type: {
      shape: { kind: 'string', values: Object.keys(TOXICS) },
      doc: "Toxiproxy's toxic: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, or down (the link disabled).",
      required: true,
    },
    stream: {
      shape: { kind: 'string', values: ['downstream', 'upstream'] },
      doc: 'Which direction it acts on: downstream (callee → caller, the responses) or upstream (caller → callee, the requests).',
      default: 'downstream',
    },
    toxicity: {
      shape: { kind: 'percent' },
      doc: 'Share of connections it applies to, rolled once per connection (not per request), as Toxiproxy does.',
      default: '100%',
    },
    ...Object.fromEntries(
      [...new Set(Object.values(TOXICS).flatMap((t) => Object.keys(t.attributes)))].map((name) => {
        const users = Object.entries(TOXICS).filter(([, t]) => name in t.attributes);
        const units = [...new Set(users.map(([, t]) => t.attributes[name].unit))];
        const where = users.map(([type, t]) => (units.length > 1 ? `${type} (${t.attributes[name].unit})` : type)).join(', ');
        const doc = `Attribute of ${where}: a number in ${units.length > 1 ? "the toxic's unit" : units[0]}, as Toxiproxy takes it.`;
        const unit = units.length > 1 ? `${units.join(' or ')} by toxic, as Toxiproxy takes it` : `${units[0]}, as Toxiproxy takes it`;
        return [name, { shape: { kind: 'integer', min: 0, unit }, doc } satisfies FieldSpec];
      }),
    ),
  },
};

const faultShape: ObjectShape = {
  kind: 'object',
  exactlyOne: ['http', 'process', 'toxic', 'partition', 'security', 'certExpire', 'rootRotation', 'clockSkew'],
  exactlyOneHint: "(the fault's kind; split two kinds into two faults)",
  otherNames: { start: 'write at: 5s', duration: 'write for: 10s', kind: 'write the kind as the key: http, process, toxic or partition' },
  fields: {
    name: {
      shape: { kind: 'string', pattern: NAME_PATTERN, patternHint: NAME_HINT, noun: 'a fault name', limit: LIMITS.name },
      doc: 'Names the fault in windows and anchors (during p1-errors, after p1-errors.end) and in reports.',
      required: true,
    },
    at: { shape: { kind: 'duration' }, doc: 'When it starts, from the start of the load.', required: true },
    for: { shape: positiveDuration, doc: 'How long it lasts; it lasts to the end of the run when absent (a kill: see restartAfter).', defaultNote: 'until the end of the run' },
    target: {
      shape: { kind: 'string', noun: 'an instance, a service or an edge such as checkout -> payments' },
      doc: 'What it hits: an instance (payments-1), every instance of a service (payments), or an edge (checkout -> payments, checkout -> payments-1, client -> gateway). Not for a partition.',
    },
    http: { shape: scheduledHttpShape, doc: 'An L7 fault in the sidecars: abort with a status and/or delay, for a share of requests.' },
    process: {
      shape: { kind: 'string', values: ['kill', 'pause', 'restart'] },
      doc: 'kill (SIGKILL; see restartAfter), pause (SIGSTOP for the window: the instance hangs but keeps its port) or restart (killed and started again at once). Targets one instance.',
    },
    restartAfter: { shape: positiveDuration, doc: 'With process: kill, when the instance is started again; it stays dead when absent.' },
    toxic: { shape: toxicShape, doc: 'A Toxiproxy toxic on the links into the target: { type, stream, toxicity, ...attributes in Toxiproxy\'s units }.' },
    partition: {
      shape: {
        kind: 'list',
        items: { kind: 'list', items: { kind: 'string', noun: 'an instance or a service' }, minItems: 1, noun: 'instances or services' },
        minItems: 2,
        maxItems: 2,
        noun: 'two groups of instances or services',
      },
      doc: 'Cuts every link between two groups of instances (a service stands for all its instances), both ways, for the window: [[a-0, b-0], [c]].',
    },
    security: {
      shape: {
        kind: 'object',
        fields: { mtls: { shape: { kind: 'string', values: MTLS_MODES }, doc: 'The mode the target service (or, without a target, the whole mesh) is switched to for the window.', required: true } },
      },
      doc: 'Switches PeerAuthentication during the run, as a config push (no restart): { mtls: DISABLE } on a service, or on the whole mesh without a target; back at the end of the window.',
    },
    certExpire: {
      shape: { kind: 'boolean' },
      doc: "The target instance's certificate stops being renewed and runs out: from the fault's start it holds an expired certificate, so its peers' handshakes with it fail; a fresh one is issued when the window ends. Write certExpire: true.",
    },
    rootRotation: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        fields: {
          overlap: {
            shape: { kind: 'boolean' },
            doc: 'true: the new root is added to every trust bundle first and the old one dropped only after every certificate is reissued (no failed request); false: the bundles switch to the new root at once and calls fail until each certificate is reissued.',
            default: true,
          },
        },
      },
      doc: "A new root CA during the run (no target): every workload certificate is reissued under it, spread over the fault's window (for, required).",
    },
    clockSkew: {
      shape: {
        kind: 'object',
        exactlyOne: ['ahead', 'behind'],
        exactlyOneHint: '(write { ahead: 25h } or { behind: 2h })',
        fields: {
          ahead: { shape: { kind: 'duration', positive: true, limit: LIMITS.certTtl }, doc: "How far the instance's clock runs ahead: peers' certificates look expired to it once this passes their lifetime." },
          behind: { shape: { kind: 'duration', positive: true, limit: LIMITS.certTtl }, doc: "How far the instance's clock runs behind: certificates issued since look not yet valid to it." },
        },
      },
      doc: "The target instance's clock is off by this for the window: it judges its peers' certificates by it, so its handshakes fail both ways. { ahead: 25h } or { behind: 2h }.",
    },
  },
};

/** The whole language, version 1. */
export const SCENARIO_SHAPE: ObjectShape = {
  kind: 'object',
  fields: {
    version: { shape: { kind: 'version', value: 1 }, doc: 'Version of the scenario language; this meshproof reads version 1.', required: true },
    name: {
      shape: { kind: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', patternHint: 'lowercase letters, digits and -', noun: 'a name', limit: LIMITS.scenarioName },
      doc: 'Identifier of the scenario, used in report folders and JUnit suite names.',
      required: true,
    },
    description: { shape: { kind: 'string', noun: 'a sentence' }, doc: 'One line saying what the scenario shows or guards against.', required: true },
    seed: {
      shape: { kind: 'integer', limit: LIMITS.seed },
      doc: 'Root of every random choice (latency draws, error rolls, back-off jitter, load balancing): the same seed replays the same run.',
      default: 1,
    },
    duration: { shape: positiveDuration, doc: 'Length of the run; expectation windows are measured on this timeline.', required: true },
    services: {
      shape: {
        kind: 'map',
        keyNoun: 'service name',
        keyPattern: NAME_PATTERN,
        keyHint: NAME_HINT,
        reserved: {
          client: '"client" is reserved for the load generator (scopes like success_rate(client) refer to it)',
          profile: '"profile" is reserved: mesh.profile picks whose defaults the mesh uses, so mesh could not name a service profile',
          from: '"from" is reserved: mesh.from names the Kubernetes manifests to import, so mesh could not name a service from',
          deadlines: '"deadlines" is reserved: mesh.deadlines sets deadline propagation for the whole mesh, so mesh could not name a service deadlines',
        },
        values: serviceShape,
        minEntries: 1,
        limit: LIMITS.instances,
      },
      doc: 'The topology: one entry per service, keyed by its name, in the order they are listed.',
      required: true,
    },
    mesh: {
      shape: {
        kind: 'map',
        keyNoun: 'destination service',
        keyPattern: NAME_PATTERN,
        keyHint: NAME_HINT,
        fields: {
          profile: {
            shape: { kind: 'string', values: MESH_PROFILES },
            doc: "Whose documented defaults fill every policy value not written: envoy, istio (Istio 1.24 and later), istio-1.23 (Istio up to 1.23, which also retries 503 by default) or linkerd (see docs/profiles.md).",
            default: DEFAULT_PROFILE,
          },
          from: {
            shape: {
              kind: 'union',
              options: [
                { kind: 'list', items: { kind: 'string', noun: 'a file, folder or glob' }, noun: 'files, folders or globs', minItems: 1 },
                { kind: 'string', noun: 'a file, folder or glob' },
              ],
            },
            doc: "Kubernetes manifests to take policies from (Istio DestinationRule and VirtualService, Gateway API HTTPRoute, Linkerd annotations), relative to the scenario file; keys written in the scenario win (see docs/import-export.md).",
            defaultNote: 'none',
          },
          deadlines: {
            shape: { kind: 'string', values: DEADLINE_MODES },
            doc: "Deadline propagation for every destination that does not write its own deadlines: propagate (each hop's timeout is the lesser of its own and what the caller has left, and the built-in services stop working on requests nobody waits for) or off.",
            defaultNote: `the profile's: ${byProfile((p) => p.deadlines)}`,
          },
          outboundTrafficPolicy: {
            shape: { kind: 'string', values: OUTBOUND_TRAFFIC_POLICIES },
            doc: "What callers' sidecars do with a host the mesh does not know (Istio's outboundTrafficPolicy.mode): ALLOW_ANY sends it on (PassthroughCluster), REGISTRY_ONLY answers 502 at once (BlackHoleCluster), counted per caller. Declared externals are known unless registered: false.",
            default: OUTBOUND_TRAFFIC_POLICY_DEFAULT,
          },
        },
        values: destinationShape,
        nullAsEmpty: true,
      },
      doc: "Policies the callers' sidecars apply to requests toward each destination service, keyed by that service; and profile, whose defaults fill the rest.",
      defaultNote: "every service gets the profile's default policy",
    },
    gateways: {
      shape: {
        kind: 'map',
        keyNoun: 'gateway name',
        keyPattern: NAME_PATTERN,
        keyHint: NAME_HINT,
        reserved: { client: '"client" is reserved for the load generator (scopes like success_rate(client) refer to it)' },
        values: gatewayShape,
        nullAsEmpty: true,
        limit: LIMITS.instances,
      },
      doc: 'Gateways at the edges of the mesh, keyed by name: ingress gateways the load may enter through (routes, TLS, their own replicas), and at most one egress gateway that calls to external services leave through.',
      default: {},
    },
    external: {
      shape: {
        kind: 'map',
        keyNoun: 'external service name',
        keyPattern: NAME_PATTERN,
        keyHint: NAME_HINT,
        reserved: { client: '"client" is reserved for the load generator (scopes like success_rate(client) refer to it)' },
        values: externalShape,
        nullAsEmpty: true,
        limit: LIMITS.instances,
      },
      doc: "Services outside the mesh, keyed by name, standing for third-party APIs: the built-in service's behaviour with no sidecar, reached over plain HTTP by name (calls: [card-api]).",
      default: {},
    },
    load: { shape: loadShape, doc: 'The load generator: what it calls, how fast (or how many requests in flight) and for how long.', required: true },
    faults: {
      shape: { kind: 'list', items: faultShape, nullAsEmpty: true, noun: 'faults', limit: LIMITS.faults },
      doc: 'The fault schedule: each fault has a name, a start (at), an optional length (for), a target and one kind (http, process, toxic, partition, security, certExpire, rootRotation or clockSkew).',
      default: [],
    },
    chaos: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        fields: {
          engine: {
            shape: { kind: 'string', values: CHAOS_ENGINES },
            doc: "What applies toxics and partitions: builtin (meshproof's own Toxiproxy-compatible engine, nothing to install) or toxiproxy (a real toxiproxy-server).",
            default: 'builtin',
          },
          address: {
            shape: { kind: 'string', pattern: ADDRESS_PATTERN, patternHint: 'host:port, such as 127.0.0.1:8474', noun: 'an address' },
            doc: "Only with engine toxiproxy: the API address of a toxiproxy-server already running there. Without it, meshproof starts toxiproxy-server from PATH for the run.",
            defaultNote: 'none: meshproof starts toxiproxy-server from PATH (engine toxiproxy)',
          },
        },
      },
      doc: 'The fault engine for wire faults (toxic, partition): the built-in one, or a real Toxiproxy.',
      defaultNote: '{ engine: builtin }',
    },
    security: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        fields: {
          mtls: {
            shape: { kind: 'string', values: MTLS_MODES },
            doc: "The mesh-wide PeerAuthentication: what every service accepts unless it says otherwise (services.<service>.mtls): STRICT, PERMISSIVE or DISABLE.",
            defaultNote: byProfile((p) => p.security.mtls),
          },
          trustDomain: {
            shape: { kind: 'string', pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$', patternHint: 'a DNS-like name such as cluster.local', noun: 'a trust domain', limit: LIMITS.name },
            doc: 'The trust domain of every identity: spiffe://<trustDomain>/ns/default/sa/<service>.',
            default: DEFAULT_TRUST_DOMAIN,
          },
          certTTL: {
            shape: { kind: 'duration', positive: true, limit: LIMITS.certTtl },
            doc: 'Lifetime of a workload certificate; each is renewed (and pushed to its sidecar) at half its life (70% for linkerd).',
            defaultNote: byProfile((p) => formatDuration(p.security.certTtlMs)),
          },
          rootCA: {
            shape: {
              kind: 'object',
              fields: {
                cert: { shape: { kind: 'string', noun: 'a file path' }, doc: "The root certificate's PEM file, relative to the scenario.", required: true },
                key: { shape: { kind: 'string', noun: 'a file path' }, doc: "Its private key's PEM file (PKCS #8, EC or RSA), relative to the scenario.", required: true },
              },
            },
            doc: "A root CA to sign under, as files: the control plane makes an intermediate under it and signs every workload with that (Istio's plug-in CA). Without it, a self-signed root is made for the run.",
            defaultNote: 'none: a self-signed root',
          },
        },
      },
      doc: 'Workload identities and mutual TLS: the mesh-wide mode, the trust domain, certificate lifetimes and the root CA (see docs/security.md).',
      defaultNote: '{ mtls: PERMISSIVE, trustDomain: cluster.local, certTTL: 24h }',
    },
    rateLimitService: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        otherNames: { failure_mode_deny: 'write failureMode: deny', failureModeDeny: 'write failureMode: deny' },
        fields: {
          domain: {
            shape: { kind: 'string', pattern: '^[A-Za-z0-9_.-]+$', patternHint: 'letters, digits, _ . and -', noun: 'a domain' },
            doc: "The domain the quotas live in (envoyproxy/ratelimit's domain): the name the sidecars send and the service's stats use.",
            defaultNote: "the scenario's name",
          },
          failureMode: {
            shape: { kind: 'string', values: RATE_LIMIT_FAILURE_MODES },
            doc: 'What a sidecar does when the service cannot answer in time (killed, paused, slow): allow lets the request through (Envoy\'s default), deny answers 500 with flag RLSE (failure_mode_deny).',
            default: RATE_LIMIT_SERVICE_DEFAULTS.failureMode,
          },
          timeout: {
            shape: positiveDuration,
            doc: 'How long a sidecar waits for the service to answer before failureMode decides.',
            default: RATE_LIMIT_SERVICE_DEFAULTS.timeout,
          },
        },
      },
      doc: "The rate-limit service that counts the services' quotas, started for the run (a process, or a container on Docker) when any service has quotas; process faults may target it as ratelimit.",
      defaultNote: `{ domain: <scenario name>, failureMode: ${RATE_LIMIT_SERVICE_DEFAULTS.failureMode}, timeout: ${RATE_LIMIT_SERVICE_DEFAULTS.timeout} } when a service has quotas`,
    },
    runtime: {
      shape: { kind: 'string', values: RUNTIMES },
      doc: "Where instances run: local (child processes, needs only Node) or docker (each instance a pod of app + sidecar containers). meshproof run --runtime overrides it.",
      default: 'local',
    },
    expect: {
      shape: { kind: 'list', items: { kind: 'expectation' }, nullAsEmpty: true, noun: 'expectation sentences', limit: LIMITS.expectations },
      doc: 'What must hold, one sentence each: metric(scope) comparison value [window], or ejected(…), recovered(…), state(…) sentences.',
      default: [],
    },
  },
};

/** The words an expectation sentence may start with besides a metric. */
export const SENTENCE_WORDS = ['ejected', 'recovered', 'state'] as const;

/** A pattern an editor can use to flag a sentence that does not start with a known metric or sentence word. */
export const EXPECTATION_PATTERN = `^\\s*(${[...METRIC_NAMES, ...SENTENCE_WORDS].join('|')})\\s*\\(`;

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
  /** Keys a later version of the language will define; named so users reading the design get a clear answer. */
  notYet?: readonly string[];
}

export interface MapShape {
  kind: 'map';
  /** What a key names, for messages: "service name". */
  keyNoun: string;
  keyPattern: string;
  keyHint: string;
  /** Keys that match the pattern but may not be used, with the reason. */
  reserved?: Record<string, string>;
  values: Shape;
  minEntries?: number;
  nullAsEmpty?: boolean;
}

export interface ListShape {
  kind: 'list';
  items: Shape;
  /** For messages: "a list of service names". */
  noun?: string;
  minItems?: number;
  /** Also accept one string with comma-separated items ("5xx,reset"), as Envoy's retry_on is written. */
  commaString?: boolean;
  nullAsEmpty?: boolean;
}

export interface UnionShape {
  kind: 'union';
  options: Shape[];
}

export type LeafShape =
  | { kind: 'string'; pattern?: string; patternHint?: string; values?: readonly string[]; noun?: string }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'duration'; positive?: boolean }
  | { kind: 'percent' }
  | { kind: 'rate'; positive?: boolean }
  /** A word standing for a value: `none` for null. */
  | { kind: 'literal'; word: string; means: JsonValue }
  /** An explicit YAML null (`key:` with nothing after it, `~`, `null`). */
  | { kind: 'null' }
  | { kind: 'version'; value: number }
  /** A sentence checked later by the expectation parser, once the topology is known. */
  | { kind: 'expectation' };

export type Shape = ObjectShape | MapShape | ListShape | UnionShape | LeafShape;

// ---------------------------------------------------------------------------------------------
// Building blocks

const NAME_PATTERN = '^[a-z][a-z0-9-]*$';
const NAME_HINT = 'lowercase letters, digits and -, starting with a letter';

const serviceName = { kind: 'string', pattern: NAME_PATTERN, patternHint: NAME_HINT, noun: 'a service name' } as const;
const none = { kind: 'literal', word: 'none', means: null } as const;
const nullValue = { kind: 'null' } as const;
const positiveDuration = { kind: 'duration', positive: true } as const;

export const LOAD_BALANCERS = ['round_robin', 'least_request', 'random'] as const;
export const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'] as const;

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
};

/** The same fields with no defaults: an override only changes what it names. */
const overrideFields: Record<string, FieldSpec> = Object.fromEntries(
  Object.entries(behaviourFields).map(([key, { shape, doc }]) => [key, { shape, doc: `This instance's own value: ${lowerFirst(doc)}` }]),
);

/** "Median time" → "median time", but "HTTP status" stays as it is. */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

const serviceShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  notYet: ['command', 'image', 'env'],
  fields: {
    replicas: {
      shape: { kind: 'integer', min: 1 },
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
    instances: {
      shape: {
        kind: 'map',
        keyNoun: 'instance name',
        keyPattern: '^[a-z][a-z0-9-]*-[0-9]+$',
        keyHint: 'an instance name such as store-1 (<service>-<index>)',
        values: { kind: 'object', nullAsEmpty: true, fields: overrideFields },
        nullAsEmpty: true,
      },
      doc: 'Per-instance differences, keyed by instance name (e.g. store-2: { latency: 150ms } for one slow replica); keys: latency, errorRate, errorStatus, concurrency, queue.',
      default: {},
    },
  },
};

const retriesShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  fields: {
    attempts: {
      shape: { kind: 'integer', min: 0 },
      doc: "Retries after the first try, so at most 1 + attempts requests (Envoy's num_retries); 0 means no retries.",
      default: 1,
    },
    perTryTimeout: {
      shape: { kind: 'union', options: [positiveDuration, none, nullValue] },
      doc: 'Time limit of each try, the first included; a try that runs out is answered 504 and may be retried.',
      default: 'none',
    },
    retryOn: {
      shape: { kind: 'list', items: { kind: 'string', values: RETRY_ON }, minItems: 1, commaString: true, noun: 'retry conditions' },
      doc: 'Which failures are retried, as Envoy names them: 5xx, gateway-error (502, 503, 504), reset, connect-failure, retriable-status-codes. A list or a comma-separated string.',
      default: ['5xx'],
    },
    retriableStatusCodes: {
      shape: { kind: 'list', items: { kind: 'integer', min: 100, max: 599 }, noun: 'HTTP status codes' },
      doc: 'Statuses retried when retryOn contains retriable-status-codes (required then).',
      default: [],
    },
    backoff: {
      shape: {
        kind: 'object',
        nullAsEmpty: true,
        fields: {
          base: { shape: positiveDuration, doc: 'Base interval: retry N waits a random time in [0, base × (2^N − 1)).', default: '25ms' },
          max: { shape: positiveDuration, doc: 'Longest wait between tries; must be >= base.', defaultNote: "10 × base, as Envoy does (250ms with the default base)" },
        },
      },
      doc: 'Exponential back-off with full jitter between tries.',
      default: { base: '25ms', max: '250ms' },
    },
    budget: {
      shape: {
        kind: 'union',
        options: [
          {
            kind: 'object',
            nullAsEmpty: true,
            fields: {
              percent: { shape: { kind: 'percent' }, doc: 'Retries allowed in flight, as a share of active requests.', default: '20%' },
              minRetryConcurrency: { shape: { kind: 'integer', min: 0 }, doc: 'Retries always allowed in flight, whatever the share.', default: 3 },
            },
          },
          none,
          nullValue,
        ],
      },
      doc: "Envoy's retry budget: caps concurrent retries so they cannot multiply load during an outage. Unbudgeted when absent.",
      default: 'none',
    },
  },
};

const destinationShape: ObjectShape = {
  kind: 'object',
  nullAsEmpty: true,
  notYet: ['outlierDetection', 'connectionPool', 'rateLimit', 'fault', 'tls'],
  fields: {
    timeout: {
      shape: { kind: 'union', options: [positiveDuration, none, nullValue] },
      doc: "Time limit for the whole request, retries included; on expiry the caller gets 504 (Envoy flag UT). Istio's default: none.",
      default: 'none',
    },
    retries: {
      shape: { kind: 'union', options: [retriesShape, none, nullValue] },
      doc: "Retry policy of callers' sidecars toward this service. No retries when absent (Envoy's default without a policy).",
      default: 'none',
    },
    loadBalancer: {
      shape: { kind: 'string', values: LOAD_BALANCERS },
      doc: 'How a caller picks an instance: round_robin, least_request (power of two choices) or random.',
      default: 'round_robin',
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
    target: { shape: serviceName, doc: 'The service the load generator sends requests to (through its sidecar).', required: true },
    rate: {
      shape: { kind: 'rate', positive: true },
      doc: 'Open-loop request rate: 200/s, 200rps, 12000/m, or a bare number per second.',
      defaultNote: "required unless phases are given; then the first phase's rate",
    },
    connections: {
      shape: { kind: 'integer', min: 1 },
      doc: 'Connections the load generator keeps open, which bounds the requests in flight.',
      defaultNote: 'max(10, ceil(highest rate / 10))',
    },
    duration: { shape: positiveDuration, doc: "How long load is sent; at most the scenario's duration.", defaultNote: "the scenario's duration" },
    path: { shape: { kind: 'string', pattern: '^/', patternHint: 'a path starting with /', noun: 'a request path' }, doc: 'Request path.', default: '/' },
    phases: {
      shape: { kind: 'list', items: phaseShape, minItems: 1, noun: 'phases' },
      doc: 'Piecewise-constant rate, in order from the start of the load; their lengths must add up to the load duration.',
    },
  },
};

/** The whole language, version 1. */
export const SCENARIO_SHAPE: ObjectShape = {
  kind: 'object',
  notYet: ['faults'],
  fields: {
    version: { shape: { kind: 'version', value: 1 }, doc: 'Version of the scenario language; this meshproof reads version 1.', required: true },
    name: {
      shape: { kind: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', patternHint: 'lowercase letters, digits and -', noun: 'a name' },
      doc: 'Identifier of the scenario, used in report folders and JUnit suite names.',
      required: true,
    },
    description: { shape: { kind: 'string', noun: 'a sentence' }, doc: 'One line saying what the scenario shows or guards against.', required: true },
    seed: {
      shape: { kind: 'integer' },
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
        reserved: { client: '"client" is reserved for the load generator (scopes like success_rate(client) refer to it)' },
        values: serviceShape,
        minEntries: 1,
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
        reserved: { profile: 'mesh.profile (envoy | istio | linkerd defaults) is not supported yet; the defaults are the ones listed here' },
        values: destinationShape,
        nullAsEmpty: true,
      },
      doc: "Policies the callers' sidecars apply to requests toward each destination service, keyed by that service.",
      defaultNote: 'every service gets the default policy',
    },
    load: { shape: loadShape, doc: 'The load generator: what it calls, how fast and for how long.', required: true },
    expect: {
      shape: { kind: 'list', items: { kind: 'expectation' }, nullAsEmpty: true, noun: 'expectation sentences' },
      doc: 'What must hold, one sentence each: metric(scope) comparison value [window].',
      default: [],
    },
  },
};

/** A pattern an editor can use to flag a sentence that does not start with a known metric. */
export const EXPECTATION_PATTERN = `^\\s*(${METRIC_NAMES.join('|')})\\s*\\(`;

import { MeshproofError } from '../errors.ts';

/** The OTLP transports the SDK's trace exporters speak (OTEL_EXPORTER_OTLP_PROTOCOL). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** OTEL_TRACES_EXPORTER values the OpenTelemetry JS SDK knows. */
export const TRACE_EXPORTERS = ['otlp', 'console', 'zipkin', 'none'] as const;

/** OTEL_TRACES_SAMPLER values the OpenTelemetry JS SDK knows. */
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** Where spans go beyond the run's own traces.json, one entry per exporter. */
export type TraceExporterChoice =
  | {
      kind: 'otlp';
      protocol: OtlpProtocol;
      /** The traces endpoint the exporter will use, as the SDK resolves it (for messages and the report). */
      endpoint: string;
    }
  | { kind: 'console' }
  | { kind: 'zipkin'; endpoint: string };

/** What the standard OTEL_* variables ask of meshproof (docs/traces.md, "Your own collector"). */
export interface OtelSettings {
  /** OTEL_SDK_DISABLED=true: no export, and every other OTEL_* variable is ignored. */
  disabled: boolean;
  /**
  The exporters to set up. Empty unless the user asked for one (OTEL_TRACES_EXPORTER, or an OTLP
  endpoint): then the SDK is not even loaded.
  */
  exporters: TraceExporterChoice[];
  /**
  OTEL_TRACES_SAMPLER(_ARG); null when unset. `ratio` is the share of new traces its root
  decision keeps: 1 for always_on, 0 for always_off, the argument for traceidratio.
  */
  sampler: { name: TraceSamplerName; ratio: number } | null;
}

const DEFAULT_OTLP_HTTP = 'http://localhost:4318/v1/traces';
const DEFAULT_OTLP_GRPC = 'http://localhost:4317';
const DEFAULT_ZIPKIN = 'http://localhost:9411/api/v2/spans';

/**
Reads the OpenTelemetry SDK environment variables that concern traces, as the spec and the
OpenTelemetry JS SDK define them, and checks them before anything starts: a value the SDK would
warn about and ignore is an error here (exit 2), so a typo never silently sends nothing.

One deliberate difference from the SDK: with OTEL_TRACES_EXPORTER unset, nothing is exported unless
an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; an
SDK would send to localhost:4318 by default, and a run on a laptop should cost nothing for it.

The exporters themselves read their own variables (endpoint, headers, compression, timeout,
certificates) when they are built; this function resolves the endpoint only to name it.
*/
export function otelSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OtelSettings {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { disabled: true, exporters: [], sampler: null };

  const listed = [...new Set((get('OTEL_TRACES_EXPORTER') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  for (const name of listed) {
    if (!(TRACE_EXPORTERS as readonly string[]).includes(name)) usage(`OTEL_TRACES_EXPORTER: unknown exporter "${name}"; valid: ${TRACE_EXPORTERS.join(', ')} (a comma-separated list)`);
  }
  if (listed.includes('none') && listed.length > 1) usage(`OTEL_TRACES_EXPORTER: "none" cannot be listed with other exporters ("${listed.join(',')}")`);
  const endpointSet = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined || get('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
  const names = listed.length > 0 ? listed.filter((n) => n !== 'none') : endpointSet ? ['otlp'] : [];

  const exporters: TraceExporterChoice[] = names.map((name) => {
    if (name === 'console') return { kind: 'console' };
    if (name === 'zipkin') return { kind: 'zipkin', endpoint: httpUrl('OTEL_EXPORTER_ZIPKIN_ENDPOINT', get('OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? DEFAULT_ZIPKIN) };
    const protocolFrom = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    const protocol = get(protocolFrom) ?? 'http/protobuf';
    if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) usage(`${protocolFrom}: unknown protocol "${protocol}"; valid: ${OTLP_PROTOCOLS.join(', ')}`);
    return { kind: 'otlp', protocol: protocol as OtlpProtocol, endpoint: otlpEndpoint(protocol as OtlpProtocol, get) };
  });

  return { disabled: false, exporters, sampler: samplerFromEnv(get) };
}

/** One line naming an exporter and where it sends, e.g. `otlp (grpc) http://127.0.0.1:4317`. */
export function describeExporter(e: TraceExporterChoice): string {
  if (e.kind === 'otlp') return `otlp (${e.protocol}) ${e.endpoint}`;
  if (e.kind === 'zipkin') return `zipkin ${e.endpoint}`;
  return 'console (stdout)';
}

function otlpEndpoint(protocol: OtlpProtocol, get: (name: string) => string | undefined): string {
  const specific = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (protocol === 'grpc') {
    const from = specific !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    const url = specific ?? base ?? DEFAULT_OTLP_GRPC;
    // gRPC targets: http(s)://host:port, host:port, or unix:///path (the exporter's own rules).
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase();
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https' && scheme !== 'unix') usage(`${from}: "${url}" is not a gRPC endpoint; use http://host:port, https://host:port, host:port or unix:///path`);
    return url;
  }
  // OTLP/HTTP: the signal-specific variable is the full URL; the general one gets /v1/traces appended.
  if (specific !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific);
  if (base !== undefined) {
    const checked = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base);
    return checked.endsWith('/') ? `${checked}v1/traces` : `${checked}/v1/traces`;
  }
  return DEFAULT_OTLP_HTTP;
}

function httpUrl(from: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    usage(`${from}: "${url}" is not a URL; use http(s)://host:port`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') usage(`${from}: "${url}" must be an http(s) URL with the ${from.includes('ZIPKIN') ? 'Zipkin' : 'OTLP/HTTP'} exporter (set OTEL_EXPORTER_OTLP_PROTOCOL=grpc for gRPC)`);
  return parsed.toString();
}

function samplerFromEnv(get: (name: string) => string | undefined): OtelSettings['sampler'] {
  const name = get('OTEL_TRACES_SAMPLER');
  if (name === undefined) return null;
  if (!(TRACE_SAMPLERS as readonly string[]).includes(name)) usage(`OTEL_TRACES_SAMPLER: "${name}" is not a sampler the OpenTelemetry JS SDK has; valid: ${TRACE_SAMPLERS.join(', ')}`);
  const sampler = name as TraceSamplerName;
  if (sampler === 'always_on' || sampler === 'parentbased_always_on') return { name: sampler, ratio: 1 };
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') return { name: sampler, ratio: 0 };
  const arg = get('OTEL_TRACES_SAMPLER_ARG');
  // The spec's default for the ratio samplers.
  if (arg === undefined) return { name: sampler, ratio: 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) usage(`OTEL_TRACES_SAMPLER_ARG: "${arg}" is not a ratio for ${sampler}; give a number from 0 to 1 (e.g. 0.25)`);
  return { name: sampler, ratio };
}

function usage(message: string): never {
  throw new MeshproofError('MESHPROOF_USAGE', message);
}

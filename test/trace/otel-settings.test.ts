import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { MeshproofError } from '../../src/errors.ts';
import { describeExporter, otelSettingsFromEnv } from '../../src/trace/otel-settings.ts';

const usage = (re: RegExp) => (err: unknown) => err instanceof MeshproofError && err.code === 'MESHPROOF_USAGE' && re.test(err.message);

describe('the OTEL_* variables meshproof reads', () => {
  it('nothing set, or only blanks: no exporter (the SDK is not loaded), no sampler', () => {
    assert.deepEqual(otelSettingsFromEnv({}), { disabled: false, exporters: [], sampler: null });
    assert.deepEqual(otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: ' ', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_SAMPLER: '' }), { disabled: false, exporters: [], sampler: null });
    // A protocol alone names nowhere to send.
    assert.deepEqual(otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).exporters, []);
  });

  it('an OTLP endpoint alone turns on the otlp exporter, http/protobuf by default, with /v1/traces appended to the general endpoint only', () => {
    assert.deepEqual(otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).exporters, [{ kind: 'otlp', protocol: 'http/protobuf', endpoint: 'http://collector:4318/v1/traces' }]);
    assert.equal((otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }).exporters[0] as { endpoint: string }).endpoint, 'http://collector:4318/base/v1/traces');
    const specific = otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom' });
    assert.deepEqual(specific.exporters, [{ kind: 'otlp', protocol: 'http/protobuf', endpoint: 'https://b/custom' }]);
  });

  it('the traces-specific protocol wins over the general one; gRPC endpoints are used as given', () => {
    const s = otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' });
    assert.deepEqual(s.exporters, [{ kind: 'otlp', protocol: 'grpc', endpoint: 'http://127.0.0.1:4317' }]);
    assert.equal(describeExporter(s.exporters[0]), 'otlp (grpc) http://127.0.0.1:4317');
    assert.equal((otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }).exporters[0] as { endpoint: string }).endpoint, 'collector:4317');
    assert.equal((otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporters[0] as { protocol: string }).protocol, 'http/json');
  });

  it('OTEL_TRACES_EXPORTER: a comma list, deduplicated, with the SDK\'s defaults for endpoints; none alone exports nothing', () => {
    const s = otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp, console,otlp,zipkin' });
    assert.deepEqual(s.exporters, [{ kind: 'otlp', protocol: 'http/protobuf', endpoint: 'http://localhost:4318/v1/traces' }, { kind: 'console' }, { kind: 'zipkin', endpoint: 'http://localhost:9411/api/v2/spans' }]);
    assert.deepEqual(otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).exporters, [{ kind: 'otlp', protocol: 'grpc', endpoint: 'http://localhost:4317' }]);
    assert.deepEqual(otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporters, []);
    assert.deepEqual(otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporters, [{ kind: 'console' }]);
  });

  it('OTEL_SDK_DISABLED=true (any case) turns everything off and ignores the rest, even invalid values; other values are false, as the spec says', () => {
    assert.deepEqual(otelSettingsFromEnv({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'bogus', OTEL_TRACES_SAMPLER: 'always_off' }), { disabled: true, exporters: [], sampler: null });
    assert.equal(otelSettingsFromEnv({ OTEL_SDK_DISABLED: 'yes', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporters.length, 1);
  });

  it('OTEL_TRACES_SAMPLER: the ratio its root decision keeps; the argument defaults to 1', () => {
    const ratio = (env: Record<string, string>) => otelSettingsFromEnv(env).sampler;
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'always_on' }), { name: 'always_on', ratio: 1 });
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'always_off' }), { name: 'always_off', ratio: 0 });
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }), { name: 'parentbased_always_off', ratio: 0 });
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }), { name: 'traceidratio', ratio: 0.1 });
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' }), { name: 'parentbased_traceidratio', ratio: 1 });
    // The argument of another sampler is not read.
    assert.deepEqual(ratio({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'x' }), { name: 'always_on', ratio: 1 });
  });

  it('what the SDK would warn about and ignore is a usage error naming the variable, the value and what is valid', () => {
    assert.throws(() => otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp,jaeger' }), usage(/^OTEL_TRACES_EXPORTER: unknown exporter "jaeger"; valid: otlp, console, zipkin, none/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'none,console' }), usage(/"none" cannot be listed with other exporters/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/proto' }), usage(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: unknown protocol "http\/proto"; valid: http\/protobuf, http\/json, grpc/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }), usage(/^OTEL_EXPORTER_OTLP_ENDPOINT: "grpc:\/\/c:4317" must be an http\(s\) URL with the OTLP\/HTTP exporter \(set OTEL_EXPORTER_OTLP_PROTOCOL=grpc for gRPC\)/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }), usage(/^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" is not a URL/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c:4317' }), usage(/is not a gRPC endpoint; use http:\/\/host:port/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), usage(/^OTEL_TRACES_SAMPLER: "jaeger_remote" is not a sampler the OpenTelemetry JS SDK has; valid: always_on, always_off, traceidratio/));
    assert.throws(() => otelSettingsFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }), usage(/^OTEL_TRACES_SAMPLER_ARG: "1.5" is not a ratio for traceidratio; give a number from 0 to 1/));
  });
});

import { Server, ServerCredentials, type Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpJson } from '../../src/trace/otlp-json.ts';
import { decodeOtlpProto } from '../../src/trace/otlp-proto.ts';
import { decodeOtlpProtoRequest } from '../../src/trace/otlp-proto-request.ts';
import type { OtlpTraceRequest } from '../../src/trace/otlp-request.ts';
import type { SpanRecord } from '../../src/trace/span-model.ts';

/** One export a stub collector received. */
export interface ReceivedExport {
  /** HTTP: the request path; gRPC: the method path. */
  path: string;
  /** HTTP headers, or gRPC metadata (lower-case keys, first value). */
  headers: Record<string, string>;
  contentType: string;
  /** The spans, as the run's own receiver reads them. */
  spans: SpanRecord[];
  /** The whole export, every field (resources with all their attributes). */
  request: OtlpTraceRequest;
}

export interface CollectorStub {
  /** http://127.0.0.1:<port> */
  url: string;
  exports: ReceivedExport[];
  spans(): SpanRecord[];
  close(): Promise<void>;
}

/**
A real OTLP/HTTP collector on 127.0.0.1 (port 0): accepts `POST <any path>` as protobuf or JSON,
optionally gzip, answers as the spec says, and keeps what it got with the request's headers.
*/
export async function startHttpCollector(): Promise<CollectorStub> {
  const exports: ReceivedExport[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const proto = contentType === 'application/x-protobuf';
        const json = proto ? null : (JSON.parse(body.toString('utf8')) as OtlpTraceRequest);
        exports.push({
          path: req.url ?? '',
          headers: flatten(req.headers),
          contentType,
          spans: proto ? decodeOtlpProto(body) : decodeOtlpJson(json),
          request: proto ? decodeOtlpProtoRequest(body) : json!,
        });
        res.writeHead(200, { 'content-type': proto ? 'application/x-protobuf' : 'application/json' });
        res.end(proto ? undefined : '{}');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans: () => exports.flatMap((e) => e.spans),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/**
A real OTLP/gRPC collector on 127.0.0.1 (port 0, no TLS): the TraceService's Export method, with
the messages kept as raw protobuf and decoded by meshproof's own decoders, so it needs no .proto
files. Keeps the call's metadata (where OTEL_EXPORTER_OTLP_HEADERS arrive over gRPC).
*/
export async function startGrpcCollector(): Promise<CollectorStub> {
  const exports: ReceivedExport[] = [];
  const server = new Server();
  const identity = (b: Buffer) => b;
  const service: ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
  server.addService(service, {
    Export: (call: { request: Buffer; metadata: Metadata }, callback: (err: Error | null, response: Buffer) => void) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
      exports.push({ path: EXPORT_PATH, headers, contentType: 'application/grpc', spans: decodeOtlpProto(call.request), request: decodeOtlpProtoRequest(call.request) });
      // An empty ExportTraceServiceResponse: full success.
      callback(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans: () => exports.flatMap((e) => e.spans),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

function flatten(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

/**
Sidecar process entry, spawned by the runtime (one per instance, plus the ingress).

Environment:
- `MESHPROOF_INSTANCE` (required): this pod's instance name;
- `MESHPROOF_SERVICE` (required): its service (`client` for the ingress);
- `MESHPROOF_SEED`: seed for random choices until the first config brings its own;
- `MESHPROOF_ACCESS_LOG=1`: one Envoy-style access-log line per request on stderr;
- `MESHPROOF_OTLP_ENDPOINT`: OTLP/HTTP traces URL (the harness's receiver) to export spans to;
  unset = no tracing, and the OpenTelemetry SDK is not even loaded;
- `MESHPROOF_TRACE_SAMPLE`: share of the traces started here that are recorded, 0–1 (default 1);
- `MESHPROOF_TRACE_MAX_PER_SECOND`: most traces started here recorded per second (default 0 = no limit).

It starts with no config: the outbound listener answers 503 (flag NC) and `/ready` 503 until the
control plane pushes one to `POST /config` on the admin port. Once listening it sends
`{type: 'ready', role: 'sidecar', ports}` over IPC.
*/
import { runChild, requireEnv } from '../process/child-lifecycle.ts';
import { Sidecar } from './sidecar.ts';
import type { SpanSink } from './span-sink.ts';
import { deriveSeed, seededRandom } from '../../util/random.ts';

const instance = requireEnv('MESHPROOF_INSTANCE', "this pod's instance name");
const service = requireEnv('MESHPROOF_SERVICE', "this pod's service name");
const seedEnv = process.env.MESHPROOF_SEED;
const seed = seedEnv !== undefined && seedEnv !== '' && Number.isFinite(Number(seedEnv)) ? Number(seedEnv) : undefined;
const accessLog = process.env.MESHPROOF_ACCESS_LOG === '1' ? (line: string) => void process.stderr.write(line + '\n') : undefined;

let spans: SpanSink | null = null;
const otlp = process.env.MESHPROOF_OTLP_ENDPOINT;
if (otlp) {
  const ratio = Number(process.env.MESHPROOF_TRACE_SAMPLE ?? '1');
  try {
    const { OtelSpanSink } = await import('../../trace/otel-span-sink.ts');
    spans = new OtelSpanSink({
      endpoint: otlp,
      service,
      instance,
      // Its own stream: tracing on or off, the load balancer sees the same random numbers.
      random: seededRandom(deriveSeed(seed ?? 0, `${instance}:spans`)),
      // The sidecar's clock is performance.now().
      toEpochMs: (ms) => performance.timeOrigin + ms,
      sampleRatio: Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1,
      maxTracesPerSecond: Math.max(0, Number(process.env.MESHPROOF_TRACE_MAX_PER_SECOND ?? '0') || 0),
    });
  } catch (err) {
    // Telemetry never stops a pod from serving: without the SDK the sidecar runs untraced.
    process.stderr.write(`sidecar ${instance}: tracing off, the OpenTelemetry SDK could not be set up: ${(err as Error).message}\n`);
  }
}

const sidecar = new Sidecar({ instance, service, seed, accessLog, spans });

await runChild({
  name: `sidecar ${instance}`,
  start: async () => ({ type: 'ready', role: 'sidecar', ports: await sidecar.start() }),
  close: () => sidecar.close(),
});

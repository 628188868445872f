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
- `MESHPROOF_TRACE_MAX_PER_SECOND`: most traces started here recorded per second (default 0 = no limit);
- `MESHPROOF_UPSTREAMS`: comma-separated destination services that get a dedicated outbound
  listener each (their ports are in the ready message's `ports.upstreams`); unset = none;
- `MESHPROOF_ROLE=gateway`: a gateway (its own Envoy, no app) rather than an app's sidecar;
- `MESHPROOF_PORTS`: JSON `{inbound, outbound, admin}`, ports to bind instead of ones the OS picks
  (a gateway started again after a kill keeps its address); unset = all picked by the OS.

The run's credential, which writes to the admin port must carry (and which authenticates its span
exports to the harness), comes over IPC before anything starts (src/auth/credential-handoff.ts);
started without IPC, from the file MESHPROOF_CREDENTIAL_FILE names. Never from the environment.

It starts with no config: the outbound listener answers 503 (flag NC) and `/ready` 503 until the
control plane pushes one to `POST /config` on the admin port. Once listening it sends
`{type: 'ready', role: 'sidecar', ports}` over IPC.
*/
import { receiveCredential } from '../../auth/credential-handoff.ts';
import { runChild, requireEnv } from '../../process/child-lifecycle.ts';
import { SeriesRecorder } from '../../observe/timeline.ts';
import { Sidecar } from './sidecar.ts';
import { spanSinkFromEnv } from '../../trace/span-sink-from-env.ts';
import { LoopDelayMonitor } from '../../util/loop-delay-monitor.ts';

const instance = requireEnv('MESHPROOF_INSTANCE', "this pod's instance name");
const service = requireEnv('MESHPROOF_SERVICE', "this pod's service name");
const seedEnv = process.env.MESHPROOF_SEED;
const seed = seedEnv !== undefined && seedEnv !== '' && Number.isFinite(Number(seedEnv)) ? Number(seedEnv) : undefined;
const accessLog = process.env.MESHPROOF_ACCESS_LOG === '1' ? (line: string) => void process.stderr.write(line + '\n') : undefined;

const credential = await receiveCredential().catch((err: Error & { disconnected?: boolean }) => {
  if (!err.disconnected) process.stderr.write(`sidecar ${instance}: could not start: ${err.message}\n`);
  process.exit(err.disconnected ? 0 : 1);
});

const spans = await spanSinkFromEnv({ service, instance, seed, credential, who: `sidecar ${instance}` });

const upstreams = (process.env.MESHPROOF_UPSTREAMS ?? '').split(',').filter((u) => u !== '');

const role = process.env.MESHPROOF_ROLE === 'gateway' ? 'gateway' : 'sidecar';
let ports: { inbound?: number; outbound?: number; admin?: number } | undefined;
if (process.env.MESHPROOF_PORTS) {
  try {
    ports = JSON.parse(process.env.MESHPROOF_PORTS) as typeof ports;
  } catch (err) {
    process.stderr.write(`sidecar ${instance}: MESHPROOF_PORTS is not JSON: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

const sidecar = new Sidecar({ instance, service, seed, accessLog, spans, upstreams, admin: { credential }, role, ports, recorder: new SeriesRecorder(), loopDelay: new LoopDelayMonitor().start() });

await runChild({
  name: `sidecar ${instance}`,
  start: async () => ({ type: 'ready', role: 'sidecar', ports: await sidecar.start() }),
  close: () => sidecar.close(),
});

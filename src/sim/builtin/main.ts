/**
Built-in service process entry, spawned by the runtime (one per instance).

Environment:
- `PORT`: port to listen on, 0 (default) = any free port; the real one is reported;
- `MESHPROOF_SERVICE_SPEC` (required): the ServiceSpec as JSON;
- `MESHPROOF_INSTANCE` (required): this instance's name (per-instance overrides of the spec apply);
- `MESHPROOF_SIDECAR`: `host:port` of the sidecar's outbound listener (required when the spec calls others);
- `MESHPROOF_SEED`: seed of the latency draws and error rolls;
- `MESHPROOF_DEADLINES`: `propagate` to honour the deadline requests carry (stop working on a request
  nobody waits for, pass what is left on), `off` (the default) to work every request to its end.
- `MESHPROOF_BIND_HOST`: the address to listen on (default 127.0.0.1; an external service's container
  in the Docker runtime listens on its pod's network address, as other pods dial it with no sidecar).

Once listening it sends `{type: 'ready', role: 'app', port}` over IPC; it exits when the IPC
channel disconnects or on SIGTERM/SIGINT.
*/
import { instanceSpec, type ServiceSpec } from '../../scenario/scenario.ts';
import { requireEnv, runChild } from '../../process/child-lifecycle.ts';
import { BuiltinService } from './service.ts';

function fail(message: string): never {
  process.stderr.write(`built-in service: ${message}\n`);
  process.exit(1);
}

const instance = requireEnv('MESHPROOF_INSTANCE', "this instance's name");
let spec: ServiceSpec;
try {
  spec = JSON.parse(requireEnv('MESHPROOF_SERVICE_SPEC', 'the ServiceSpec as JSON')) as ServiceSpec;
} catch (err) {
  fail(`MESHPROOF_SERVICE_SPEC is not valid JSON: ${(err as Error).message}`);
}
spec = instanceSpec(spec, instance);

let sidecar: { host: string; port: number } | null = null;
const sidecarEnv = process.env.MESHPROOF_SIDECAR;
if (sidecarEnv) {
  const colon = sidecarEnv.lastIndexOf(':');
  const port = Number(sidecarEnv.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) fail(`MESHPROOF_SIDECAR must be host:port, got ${JSON.stringify(sidecarEnv)}`);
  sidecar = { host: sidecarEnv.slice(0, colon), port };
}
const port = Number(process.env.PORT ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number (0 = any), got ${JSON.stringify(process.env.PORT)}`);
const seed = Number(process.env.MESHPROOF_SEED ?? '1');
const deadlines = process.env.MESHPROOF_DEADLINES ?? 'off';
if (deadlines !== 'propagate' && deadlines !== 'off') fail(`MESHPROOF_DEADLINES must be propagate or off, got ${JSON.stringify(deadlines)}`);

let service: BuiltinService;
try {
  service = new BuiltinService({ spec, instance, sidecar, seed: Number.isFinite(seed) ? seed : 1, deadlines });
} catch (err) {
  fail((err as Error).message);
}

await runChild({
  name: `app ${instance}`,
  start: async () => ({ type: 'ready', role: 'app', port: await service.start(port, process.env.MESHPROOF_BIND_HOST || '127.0.0.1') }),
  close: () => service.close(),
});

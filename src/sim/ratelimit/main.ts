/**
The rate-limit service's process entry, spawned by the local runtime when a scenario has quotas.

Environment:
- `PORT`: the port to listen on, 0 (default) = any free port; the real one is reported;
- `MESHPROOF_BIND_HOST`: the address to bind (default 127.0.0.1; its container binds 0.0.0.0);
- `MESHPROOF_ALSO_HOSTS`: comma-separated `name:port` Host headers it answers besides loopback ones
  (its name on a run's Docker network); `MESHPROOF_ANY_PORT=1`: a loopback Host may name any port
  (Docker publishes it under another).

The run's credential comes over IPC (or from the file MESHPROOF_CREDENTIAL_FILE names, in a
container) before it listens: decisions and config pushes must carry it. It starts with no
configuration (nothing is limited) until the control plane pushes one. Once listening it sends
`{type: 'ready', role: 'ratelimit', port}` over IPC, or prints it without one.
*/
import { receiveCredential } from '../../auth/credential-handoff.ts';
import { runChild } from '../../process/child-lifecycle.ts';
import { SeriesRecorder } from '../../observe/timeline.ts';
import { RateLimitService } from './rate-limit-service.ts';

const credential = await receiveCredential().catch((err: Error & { disconnected?: boolean }) => {
  if (!err.disconnected) process.stderr.write(`rate-limit service: could not start: ${err.message}\n`);
  process.exit(err.disconnected ? 0 : 1);
});
const port = Number(process.env.PORT ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`rate-limit service: PORT must be a port number (0 = any), got ${JSON.stringify(process.env.PORT)}\n`);
  process.exit(1);
}
const alsoHosts = (process.env.MESHPROOF_ALSO_HOSTS ?? '').split(',').filter((h) => h !== '');
const service = new RateLimitService({
  credential,
  recorder: new SeriesRecorder(),
  host: process.env.MESHPROOF_BIND_HOST || '127.0.0.1',
  access: { hostPort: process.env.MESHPROOF_ANY_PORT === '1' ? 'any' : 'listener', alsoHosts },
});

await runChild({
  name: 'rate-limit service',
  start: async () => ({ type: 'ready', role: 'ratelimit', port: await service.start(port) }),
  close: () => service.close(),
});

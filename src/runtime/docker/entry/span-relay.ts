/**
The span relay's container entry (Docker runtime, when the run traces): an OTLP/HTTP endpoint on
<MESHPROOF_BIND_HOST (0.0.0.0)>:PORT (default 4318) that the sidecars export to, drained by the
harness through a port published on 127.0.0.1 (see otlp-relay.ts). Prints
`{"type":"ready","role":"span-relay","port":…}` on stdout once listening.
*/
import { receiveCredential } from '../../../auth/credential-handoff.ts';
import { SPAN_RELAY_HOST, SPAN_RELAY_PORT } from '../pod-ports.ts';
import { exitOnSignals, portEnv } from './env.ts';
import { startOtlpRelay } from './otlp-relay.ts';

const ENTRY = 'span relay container';
const bind = process.env.MESHPROOF_BIND_HOST || '0.0.0.0';
const port = portEnv(ENTRY, 'PORT', SPAN_RELAY_PORT);

try {
  const credential = await receiveCredential();
  const relay = await startOtlpRelay({ host: bind, port, credential, networkHost: `${SPAN_RELAY_HOST}:${port}` });
  exitOnSignals(() => new Promise((r) => relay.close(r)));
  process.stdout.write(JSON.stringify({ type: 'ready', role: 'span-relay', port }) + '\n');
} catch (err) {
  process.stderr.write(`${ENTRY}: cannot start on ${bind}:${port}: ${(err as Error).message}\n`);
  process.exit(1);
}

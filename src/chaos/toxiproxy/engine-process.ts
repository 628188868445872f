import { receiveCredential } from '../../auth/credential-handoff.ts';
import type { ChildMessage } from '../../contract/child-message.ts';
import { startToxiproxyServer } from './toxiproxy-server.ts';

/**
The fault engine as a child of a run (the local runtime's "fault engine in its own process"):
listens on 127.0.0.1 on a free port with the run's seed, reports the port over IPC, and exits when
its parent goes away or on SIGTERM. Its API refuses writes without the run's credential, which
comes over IPC first (src/auth/credential-handoff.ts): only the harness drives a run's faults.
*/
const credential = await receiveCredential().catch((err: Error & { disconnected?: boolean }) => {
  if (!err.disconnected) process.stderr.write(`fault engine: could not start: ${err.message}\n`);
  process.exit(err.disconnected ? 0 : 1);
});
const seed = process.env.MESHPROOF_SEED ? Number(process.env.MESHPROOF_SEED) : undefined;
const server = await startToxiproxyServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0), seed, credential });
const stop = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.send?.({ type: 'ready', role: 'fault-engine', port: server.port, seed: server.seed } satisfies ChildMessage);

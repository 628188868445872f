import type { ChildMessage } from '../../sim/sidecar-config.ts';
import { startToxiproxyServer } from './toxiproxy-server.ts';

/**
The fault engine as a child of a run (the local runtime's "fault engine in its own process"):
listens on 127.0.0.1 on a free port with the run's seed, reports the port over IPC, and exits when
its parent goes away or on SIGTERM.
*/
const seed = process.env.MESHPROOF_SEED ? Number(process.env.MESHPROOF_SEED) : undefined;
const server = await startToxiproxyServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0), seed });
const stop = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.send?.({ type: 'ready', role: 'fault-engine', port: server.port, seed: server.seed } satisfies ChildMessage);

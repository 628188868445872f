/**
Run once while the runtime image is built (runtime.Dockerfile): loads the modules every container
runs, so that Node's compile cache (NODE_COMPILE_CACHE, set by the base image) holds their
type-stripped, compiled code in the image. Without it every container of a run compiles the same
sources on its own — at the start of a run, dozens of Node processes at once, which on a 2-core
machine costs more than Docker's own work of creating the containers.

Imports the modules the entries use, not the entries themselves: an entry starts its server on import.
*/
import { flushCompileCache, getCompileCacheDir } from 'node:module';

const modules = [
  '../../../sim/sidecar/sidecar.ts',
  '../../../observe/timeline.ts',
  '../../../sim/policy/route-table.ts',
  '../../../util/loop-delay-monitor.ts',
  '../../../trace/span-sink-from-env.ts',
  '../../../sim/builtin/service.ts',
  '../../../sim/ratelimit/rate-limit-service.ts',
  '../../../process/child-lifecycle.ts',
  '../../../scenario/scenario.ts',
  '../../../chaos/toxiproxy/toxiproxy-server.ts',
  './env.ts',
  './pod-agent.ts',
  './tcp-forwarder.ts',
  './listen-rewrite.ts',
  '../pod-ports.ts',
];
// The cache only saves time: a module that fails to load here fails the build of nothing (the
// container that needs it says why when it starts).
for (const m of modules) {
  try {
    await import(m);
  } catch (err) {
    process.stdout.write(`not cached: ${m}: ${(err as Error).message.split('\n')[0]}\n`);
  }
}
flushCompileCache();
process.stdout.write(`compile cache written to ${getCompileCacheDir() ?? '(none: NODE_COMPILE_CACHE is not set)'}\n`);

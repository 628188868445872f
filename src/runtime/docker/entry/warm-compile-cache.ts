/**
Run once while the runtime image is built (runtime.Dockerfile): loads the modules every container
runs, so that Node's compile cache (NODE_COMPILE_CACHE, set by the base image) holds their
type-stripped, compiled code in the image. Without it every container of a run compiles the same
sources on its own — at the start of a run, dozens of Node processes at once, which on a 2-core
machine costs more than Docker's own work of creating the containers.

Imports the modules the entries use, not the entries themselves: an entry starts its server on import.
*/
import { flushCompileCache, getCompileCacheDir } from 'node:module';

await import('../../../sim/sidecar/sidecar.ts');
await import('../../../sim/builtin/service.ts');
await import('../../../sim/process/child-lifecycle.ts');
await import('../../../scenario/scenario.ts');
await import('../../../chaos/toxiproxy/toxiproxy-server.ts');
await import('./env.ts');
await import('./pod-agent.ts');
await import('./tcp-forwarder.ts');
await import('./listen-rewrite.ts');
await import('../pod-ports.ts');
flushCompileCache();
process.stdout.write(`compile cache written to ${getCompileCacheDir() ?? '(none: NODE_COMPILE_CACHE is not set)'}\n`);

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { MeshproofError } from '../../errors.ts';
import { stopChild } from '../../process/child-process.ts';
import { RunRegistry } from '../../process/run-registry.ts';
import type { ChaosEngine } from '../../scenario/scenario.ts';
import { ToxiproxyDriver } from '../toxiproxy-driver.ts';

/**
The engine a run's wire faults go through: meshproof's own (started by the runtime, in its own
process or container) or a real toxiproxy-server (`chaos.engine: toxiproxy`), either already
running at `chaos.address` or started here from PATH for the run. Whichever it is, the run talks to
it only through the Toxiproxy HTTP API (the driver), so nothing depends on which one it is.
*/
export interface WireEngine extends AsyncDisposable {
  kind: 'builtin' | 'toxiproxy';
  /** Base URL of its Toxiproxy API. */
  url: string;
  /** Whether this run started it (and so stops it), or it was already running (chaos.address). */
  external: boolean;
  /**
  Seed of its random draws (toxicity rolls, jitter), derived from the scenario's seed; null for a real
  toxiproxy-server, whose -seed flag has no effect (its toxics use Go's global rand).
  */
  seed: number | null;
  /** The server's version as its API reports it (e.g. "2.12.0", or "2.12.0-meshproof" for meshproof's engine). */
  version: string;
  /** Stops what this run started; a no-op for a server that was already running. So does disposing it. */
  stop(): Promise<void>;
}

/** How the engine is named in each wire fault's record, e.g. "meshproof's engine, seed 42". */
export function describeWireEngine(e: Pick<WireEngine, 'kind' | 'seed' | 'version' | 'url'>): string {
  if (e.kind === 'builtin') return `meshproof's engine, seed ${e.seed}`;
  return `Toxiproxy ${e.version} at ${e.url.replace(/^http:\/\//, '')}`;
}

export const TOXIPROXY_BINARY = 'toxiproxy-server';

/** toxiproxy-server on PATH, or null. */
export function findToxiproxyServer(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, TOXIPROXY_BINARY);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** `host:port` or `http://host:port` → the API's base URL. */
export function apiUrl(address: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new MeshproofError('MESHPROOF_RUNTIME_UNAVAILABLE', `chaos.address "${address}" is not an address (write host:port, e.g. 127.0.0.1:8474)`);
  }
  if (url.protocol !== 'http:') throw new MeshproofError('MESHPROOF_RUNTIME_UNAVAILABLE', `chaos.address "${address}": Toxiproxy's API speaks plain http`);
  return `http://${url.host}`;
}

/**
Checks, before anything starts, that a real Toxiproxy can be had: with no address, the binary must
be on PATH. Throws MESHPROOF_RUNTIME_UNAVAILABLE (the CLI exits 2) saying what to do otherwise.
*/
export function checkWireEngine(chaos: ChaosEngine, options: { runtime: 'local' | 'docker'; env?: NodeJS.ProcessEnv; file?: string }): void {
  if (chaos.engine !== 'toxiproxy') return;
  const where = options.file ? `${options.file}: ` : '';
  if (options.runtime !== 'local') {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `${where}chaos.engine: toxiproxy works with the local runtime only for now (the Docker runtime runs meshproof's engine in its own container); use chaos.engine: builtin, or runtime: local`,
    );
  }
  if (chaos.address === null && findToxiproxyServer(options.env) === null) {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `${where}chaos.engine is toxiproxy, but there is no ${TOXIPROXY_BINARY} on PATH. Install Toxiproxy 2.x (https://github.com/Shopify/toxiproxy/releases), ` +
        `or give chaos.address of a toxiproxy-server that is already running (e.g. "127.0.0.1:8474"), or use chaos.engine: builtin (meshproof's own engine, nothing to install)`,
    );
  }
}

/** A real toxiproxy-server for the run: at chaos.address (checked to answer), or started from PATH. */
export async function startToxiproxyEngine(chaos: ChaosEngine, options: { runId: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; readyTimeoutMs?: number; stateDir?: string }): Promise<WireEngine> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  if (chaos.address !== null) {
    const url = apiUrl(chaos.address);
    const version = await waitForApi(url, { timeoutMs: Math.min(readyTimeoutMs, 5000), signal: options.signal, what: `the toxiproxy-server at chaos.address ${chaos.address}` });
    return { kind: 'toxiproxy', url, external: true, seed: null, version, stop: async () => {}, [Symbol.asyncDispose]: async () => {} };
  }
  const binary = findToxiproxyServer(options.env);
  if (binary === null) {
    checkWireEngine(chaos, { runtime: 'local', env: options.env });
    throw new Error('unreachable');
  }
  const port = await freePort();
  // Its own entry in the run registry (the runtime's holds the run's id), and the same id in its
  // environment: the next run's reaper kills it should this harness die before stopping it.
  const registryId = `${options.runId}-toxiproxy`;
  const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...(options.env ?? process.env), MESHPROOF_RUN_ID: registryId },
  });
  const registry = new RunRegistry(registryId, { dir: options.stateDir });
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-2000)));
  let exited: string | null = null;
  child.once('exit', (code, sig) => (exited = `exited (code ${code}, signal ${sig})`));
  child.once('error', (err) => (exited = err.message));
  if (child.pid !== undefined) registry.add(child.pid);
  const stop = async () => {
    // No pid: the spawn itself failed, and there is no process to stop (nor an 'exit' to wait for).
    if (child.pid !== undefined) await stopChild(child);
    registry.close();
  };
  const url = `http://127.0.0.1:${port}`;
  let version: string;
  try {
    version = await waitForApi(url, { timeoutMs: readyTimeoutMs, signal: options.signal, what: `${binary}`, exited: () => (exited ? `${exited}${tail ? `: ${tail.trim()}` : ''}` : null) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { kind: 'toxiproxy', url, external: false, seed: null, version, stop, [Symbol.asyncDispose]: stop };
}

/** Polls GET /version until it answers; returns the version. */
async function waitForApi(url: string, o: { timeoutMs: number; signal?: AbortSignal; what: string; exited?: () => string | null }): Promise<string> {
  const driver = new ToxiproxyDriver({ url, timeoutMs: 1000 });
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  try {
    for (;;) {
      const gone = o.exited?.();
      if (gone) throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${o.what} ${gone}`);
      if (o.signal?.aborted) throw new MeshproofError('MESHPROOF_INTERRUPTED', `interrupted while waiting for ${o.what}`);
      try {
        return await driver.version();
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    driver.close();
  }
  throw new MeshproofError('MESHPROOF_RUNTIME_UNAVAILABLE', `${o.what} does not answer the Toxiproxy API at ${url} (${last})`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

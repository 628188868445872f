/**
The fault engine's container entry (Docker runtime): meshproof's Toxiproxy-compatible engine, its
API on <MESHPROOF_BIND_HOST (0.0.0.0)>:PORT (default 8474, published on the host's 127.0.0.1), with
the run's seed (MESHPROOF_SEED).

The engine's API itself listens on 127.0.0.1 inside the container; the published port is a thin
HTTP front that rewrites proxy addresses (see listen-rewrite.ts): proxies bind the container's
interface and are reported as MESHPROOF_ADVERTISE_HOST:<port> (default: the container's address on
the run's network), which is what the sidecars dial. Prints `{"type":"ready","role":"fault-engine",…}`
on stdout once listening.

The front is locked before it reads a body: a Host naming loopback (any port: the harness reaches it
through a port Docker publishes under another number; containers on the run's network name it
otherwise, and are refused), no browser, and on writes the run's credential, read from the file
MESHPROOF_CREDENTIAL_FILE names. The engine behind it checks them again.
*/
import type { IncomingMessage } from 'node:http';
import { browserRefusal, isWrite } from '../../../auth/browser-refusal.ts';
import { credentialCheck, hostRefusal, sendRefusal } from '../../../auth/control-guard.ts';
import { receiveCredential } from '../../../auth/credential-handoff.ts';
import { networkInterfaces } from 'node:os';
import { startToxiproxyServer } from '../../../chaos/toxiproxy/toxiproxy-server.ts';
import { FAULT_ENGINE_API_PORT, FAULT_ENGINE_HOST } from '../pod-ports.ts';
import { exitOnSignals, fail, portEnv, seedEnv } from './env.ts';
import { listenIn, listenOut, rewriteListen, type ListenRewrite } from './listen-rewrite.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { Agent, createServer, request } = process.getBuiltinModule('node:http');

const ENTRY = 'fault engine container';
const bind = process.env.MESHPROOF_BIND_HOST || '0.0.0.0';
const port = portEnv(ENTRY, 'PORT', FAULT_ENGINE_API_PORT);
/**
This container's IPv4 address on the run's network (its only interface besides loopback). Proxies
are advertised by address, not by name: every new connection to a name costs a lookup in Docker's
embedded DNS, which answers in 100ms and more when the engine is busy — longer than a per-try timeout.
*/
function ownAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

const rewrite: ListenRewrite = { advertised: process.env.MESHPROOF_ADVERTISE_HOST || ownAddress() || FAULT_ENGINE_HOST, bind };

// The API stays on loopback (the front above is what the host reaches); the proxies must listen on
// the container's interface, so that address is allowed explicitly.
let credential: string;
try {
  credential = await receiveCredential();
} catch (err) {
  fail(ENTRY, (err as Error).message);
}
const credentialRefusal = credentialCheck(credential);
const engine = await startToxiproxyServer({ host: '127.0.0.1', port: 0, seed: seedEnv(), listenHosts: [bind], credential, hostHeader: 'any-port' });
const agent = new Agent({ keepAlive: true });

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** The body with its `listen` fields mapped, or as it was when it is not JSON. */
const mapBody = (body: Buffer, map: (l: string) => string): Buffer => {
  if (body.length === 0) return body;
  try {
    return Buffer.from(JSON.stringify(rewriteListen(JSON.parse(body.toString('utf8')), map)));
  } catch {
    return body;
  }
};

const front = createServer(async (req, res) => {
  const refusal = hostRefusal(req, { hostPort: 'any' }) ?? (isWrite(req.method) ? (browserRefusal(req, { untypedWrites: true }) ?? credentialRefusal(req)) : null);
  if (refusal) return sendRefusal(req, res, refusal);
  try {
    const body = mapBody(await readAll(req), (l) => listenIn(l, rewrite));
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: engine.port, method: req.method, path: req.url, headers, agent }, resolve);
      r.once('error', reject);
      r.end(body);
    });
    const answer = mapBody(await readAll(upstream), (l) => listenOut(l, rewrite));
    const out = { ...upstream.headers, 'content-length': String(answer.length) };
    delete out['transfer-encoding'];
    res.writeHead(upstream.statusCode ?? 502, out);
    res.end(answer);
  } catch (err) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`fault engine front: ${(err as Error).message}\n`);
  }
});
await new Promise<void>((resolve, reject) => {
  front.once('error', reject);
  front.listen(port, bind, () => resolve());
}).catch((err: Error) => {
  process.stderr.write(`${ENTRY}: cannot listen on ${bind}:${port}: ${err.message}\n`);
  process.exit(1);
});
exitOnSignals(async () => {
  front.closeAllConnections();
  await Promise.all([new Promise((r) => front.close(r)), engine.close()]);
});
process.stdout.write(JSON.stringify({ type: 'ready', role: 'fault-engine', port, seed: engine.seed }) + '\n');

import { parseArgs } from 'node:util';
import { startToxiproxyServer, type StartedToxiproxyServer } from './toxiproxy-server.ts';
import { ENGINE_VERSION, TOXIPROXY_COMPATIBLE_VERSION } from './version.ts';

const USAGE = `Usage: meshproof toxiproxy [--host 127.0.0.1] [--port 8474] [--seed N]

Runs meshproof's Toxiproxy-compatible server (Toxiproxy ${TOXIPROXY_COMPATIBLE_VERSION} HTTP API and toxics)
until SIGINT or SIGTERM. Drive it with any Toxiproxy client or toxiproxy-cli.

  --host <addr>   address of the HTTP API (default 127.0.0.1); proxies may listen on loopback,
                  and on this address too when it is not loopback (every address for 0.0.0.0)
  --port <n>      port of the HTTP API, 0 for any free one (default 8474)
  --seed <n>      seed of every random draw, 0..4294967295 (default: random, printed at start)`;

export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /**
  Stops the server like a signal would. Note: the command also listens for SIGINT and SIGTERM
  itself; this is for callers that run it in-process.
  */
  signal?: AbortSignal;
}

/**
`meshproof toxiproxy`: starts the server, prints where it listens and its seed, and runs until
SIGINT or SIGTERM, then closes every proxy and connection. Resolves with the exit code: 0 after a
clean stop, 2 for bad flags or an address that cannot be bound.
*/
export async function runToxiproxyCommand(argv: string[], io: CommandIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`meshproof toxiproxy: ${message}\n`);
    return 2;
  };
  let values: { host?: string; port?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { host: { type: 'string' }, port: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const host = values.host ?? '127.0.0.1';
  if (host === '') return fail('--host must not be empty (e.g. --host 127.0.0.1)');
  const port = parseInteger(values.port ?? '8474', 65535);
  if (port === undefined) return fail(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  const seed = values.seed === undefined ? undefined : parseInteger(values.seed, 2 ** 32 - 1);
  if (values.seed !== undefined && seed === undefined) return fail(`--seed must be an integer from 0 to 4294967295, got "${values.seed}"`);

  let server: StartedToxiproxyServer;
  try {
    server = await startToxiproxyServer({ host, port, seed });
  } catch (err) {
    return fail(`cannot listen on ${host}:${port}: ${describeListenError(err as NodeJS.ErrnoException)}`);
  }
  io.stdout.write(`meshproof toxiproxy ${ENGINE_VERSION} listening on ${server.url} (seed ${server.seed})\n`);
  const why = await stopRequested(io.signal);
  io.stdout.write(`meshproof toxiproxy: ${why}, closing every proxy\n`);
  await server.close();
  return 0;
}

/** Strict: digits only, no signs, exponents or hex ("Do not be smart and auto cast"). */
function parseInteger(text: string, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

function describeListenError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'the address is already in use (another Toxiproxy running? choose another --port)';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such local address (try --host 127.0.0.1)';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges; choose another --port)';
    default:
      return err.message;
  }
}

function stopRequested(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    const onAbort = (): void => done('stopped');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (signal?.aborted) done('stopped');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Environment parsing shared by the container entries: a bad value exits 1 with a message naming the variable. */

export function fail(entry: string, message: string): never {
  process.stderr.write(`${entry}: ${message}\n`);
  process.exit(1);
}

export function requiredEnv(entry: string, name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') fail(entry, `missing environment variable ${name} (${what})`);
  return v;
}

export function portEnv(entry: string, name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(entry, `${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  return port;
}

export function seedEnv(name = 'MESHPROOF_SEED'): number | undefined {
  const raw = process.env[name];
  return raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
}

/** Runs `close` once on SIGTERM or SIGINT (a container's PID 1 has no default handlers), then exits 0, forced after `graceMs`. */
export function exitOnSignals(close: () => Promise<unknown>, graceMs = 2000): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), graceMs).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';

/**
Only undici's pool is loaded (not its fetch, cache and WebSocket code), as the sidecar does: a few MB
instead of ~25 in the load process.
*/
const require = createRequire(import.meta.url);
const PoolImpl = require('undici/lib/dispatcher/pool.js') as typeof Pool;

export type DispatchHandler = Dispatcher.DispatchHandler;

/**
Where the load goes: a keep-alive undici pool to the ingress, one request per connection at a time
(so the connections in use are the requests in flight), and the request every send makes. Shared by
the warm-up and the measured load, so the connections the warm-up opens are the ones measured.
*/
export class HttpTarget {
  private readonly pool: Pool;
  private readonly request: Dispatcher.DispatchOptions;

  /**
  @param url Base URL of the ingress sidecar's outbound listener, e.g. http://127.0.0.1:40123
  @param host Sent as the Host header: the service the requests are for, as a mesh ingress routes them.
  @param connections Most connections the pool opens (the load's cap on requests in flight).
  @param timeoutMs A request with no response (headers, or the next body chunk) after this long fails with a timeout.
  */
  constructor(o: { url: string; host: string; path: string; connections: number; timeoutMs: number }) {
    this.pool = new PoolImpl(new URL(o.url).origin, { connections: o.connections, pipelining: 1, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs });
    this.request = { method: 'GET', path: o.path, headers: { host: o.host } };
  }

  /** Writes one request now (on an idle connection, or a new one); `handler` hears how it ends. */
  send(handler: DispatchHandler): void {
    this.pool.dispatch(this.request, handler);
  }

  /** Closes every connection now; requests still in flight fail. Never rejects. */
  async destroy(): Promise<void> {
    await this.pool.destroy().catch(() => {});
  }
}

/**
The kind a failed request is counted under: `timeout` for no answer in time, `ECONNRESET` for a
connection closed under it (undici says UND_ERR_SOCKET), otherwise the error's code.
*/
export function errorKind(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return code ?? err.message;
}

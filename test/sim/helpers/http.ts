import { request } from 'node:http';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Wall time of the whole exchange, ms. */
  ms: number;
}

/**
One HTTP/1.1 request with a timeout (every call a test makes has one). Rejects on a socket error
or when no complete response arrives within `timeoutMs`. A fresh connection each time (no agent),
so tests do not share pooled sockets.
*/
export function send(
  port: number,
  options: { host?: string; path?: string; method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<TestResponse> {
  const { path = '/', method = 'GET', timeoutMs = 5000 } = options;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.host !== undefined) headers.host = options.host;
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no complete response from 127.0.0.1:${port}${path} within ${timeoutMs}ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(options.body);
  });
}

export async function getJson<T>(port: number, path: string): Promise<T> {
  const r = await send(port, { path });
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as T;
}

/** Statuses of `n` requests sent one after another, each naming `host` (the destination). */
export async function sendMany(port: number, n: number, host = 'payments'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(port, { host })).status);
  return out;
}

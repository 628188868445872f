import { MeshproofError } from '../errors.ts';

/**
JSON over HTTP with a timeout on every call: in a chaos harness any peer may hang, and a control
call that never returns would hang the whole run.
*/
export async function httpJson<T = unknown>(
  url: string,
  options: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<T> {
  const { method = 'GET', body, timeoutMs = 5000 } = options;
  const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : (err as Error).message;
    throw new MeshproofError('MESHPROOF_INTERNAL', `${method} ${url} failed: ${why}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new MeshproofError('MESHPROOF_INTERNAL', `${method} ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs` with `describe()`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new MeshproofError('MESHPROOF_INTERNAL', `${options.describe()} not true after ${options.timeoutMs}ms${why}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

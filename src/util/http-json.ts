import type { IncomingMessage } from 'node:http';
import { MeshproofError } from '../errors.ts';

// node:http from process.getBuiltinModule, not fetch or an ESM import: fetch is undici, and an ESM import of
// node:http builds a namespace whose lazy getters load it; either brings undici, http2 and zlib (~8 MB of
// RSS) into the harness for calls on loopback that need none of them.
const { request } = process.getBuiltinModule('node:http');

/** What answered: the status and the whole body as text. */
interface Answer {
  status: number;
  text: string;
}

/**
JSON over HTTP with a timeout on every call: in a chaos harness any peer may hang, and a control
call that never returns would hang the whole run. Plain http only (every peer is on loopback); one
connection per call, closed after it, so a hung peer holds nothing once the call gave up.
*/
export async function httpJson<T = unknown>(
  url: string,
  options: {
    /** @default 'GET' */
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    /** Sent as JSON with `content-type: application/json`. @default none */
    body?: unknown;
    /** Bounds the whole call: connecting, the answer's head and its whole body. @default 5000 */
    timeoutMs?: number;
    /** @default none */
    headers?: Record<string, string>;
  } = {},
): Promise<T> {
  const { method = 'GET', body, timeoutMs = 5000 } = options;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { ...options.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }) };
  let answer: Answer;
  try {
    answer = await exchange(new URL(url), method, headers, payload, timeoutMs);
  } catch (err) {
    throw new MeshproofError('MESHPROOF_INTERNAL', `${method} ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  const { status, text } = answer;
  if (status < 200 || status > 299) throw new MeshproofError('MESHPROOF_INTERNAL', `${method} ${url} answered ${status}: ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** One request and its whole answer, rejected with why when there is none within `timeoutMs`. */
function exchange(url: URL, method: string, headers: Record<string, string>, payload: Buffer | undefined, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:') return reject(new Error(`${url.protocol} is not supported: only http`));
    let settled = false;
    const settle = (err: Error | null, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(whole);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    // A socket timeout would only bound idle time; a peer trickling its body must not hold the call either.
    const whole = setTimeout(() => settle(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
    let answered: IncomingMessage | undefined;
    const req = request(url, { method, headers, agent: false }, (res) => {
      answered = res;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => settle(err));
      res.on('end', () => settle(null, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (err) => settle(err));
    // Node reports most early closes as an error; this catches any other, rather than waiting out the bound.
    // A complete answer's 'end' may come after the close: it is not an early close.
    req.on('close', () => {
      if (!answered?.complete) settle(new Error('the connection closed before the whole answer'));
    });
    req.end(payload);
  });
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

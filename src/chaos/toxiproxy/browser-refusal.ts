import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  message: string;
}

/** Methods that change something; their bodies must be JSON. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
Why a request looks like it comes from a web browser, or null when it does not. An API on 127.0.0.1
with no credential can be driven by any page open in a browser on the machine (a form or a
`fetch(…, {mode: 'no-cors'})` needs no permission to send), so browsers are refused:

- a `User-Agent` starting with `Mozilla/`, in any case: Toxiproxy's own check (403
  "User agent not allowed"), which it makes case-sensitively;
- an `Origin` header, whatever its value: browsers send one with every POST, PATCH and DELETE and
  with every cross-origin request, and no Toxiproxy client sends one;
- on a write, a `Content-Type` that is not JSON (a form's `text/plain`,
  `application/x-www-form-urlencoded` or `multipart/form-data` are the types a page may send without
  asking): 415. Toxiproxy's clients send `application/json`; a request with no Content-Type is
  accepted, as older toxiproxy-cli versions send none.
*/
export function browserRefusal(req: IncomingMessage): Refusal | null {
  const agent = req.headers['user-agent'] ?? '';
  if (/^\s*mozilla\//i.test(agent)) return { status: 403, message: 'User agent not allowed' };
  if (req.headers.origin !== undefined) return { status: 403, message: 'Origin not allowed: this API does not answer web pages' };
  const type = req.headers['content-type'];
  if (WRITES.has(req.method ?? 'GET') && type !== undefined && !isJson(type)) {
    return { status: 415, message: `Content-Type ${JSON.stringify(type)} not allowed: send application/json` };
  }
  return null;
}

/** `application/json` or `application/<anything>+json`, with or without parameters. */
function isJson(contentType: string): boolean {
  const essence = contentType.split(';')[0].trim().toLowerCase();
  return essence === 'application/json' || /^application\/[^/\s]+\+json$/.test(essence);
}

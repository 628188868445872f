import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  message: string;
}

/** Methods that change something; their bodies must be of a type no web page can send unasked. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isWrite(method: string | undefined): boolean {
  return WRITES.has(method ?? 'GET');
}

export interface WriteTypes {
  accepts(essence: string): boolean;
  named: string;
}

export const JSON_WRITES: WriteTypes = { accepts: isJson, named: 'application/json' };

/** What an OTLP/HTTP export may be: JSON or protobuf (neither is a type a page may send unasked). */
export const OTLP_WRITES: WriteTypes = {
  accepts: (essence) => essence === 'application/json' || essence === 'application/x-protobuf' || essence === 'application/protobuf',
  named: 'application/json or application/x-protobuf',
};

export interface BrowserRefusalOptions {
  /**
  The content types a write may carry: `accepts` gets the essence (no parameters, lower case),
  `named` says them in a refusal. A page may send `text/plain`, `application/x-www-form-urlencoded`
  and `multipart/form-data` without asking (a "simple" request, with no CORS preflight); any other
  type needs the server's permission, which none of meshproof's listeners gives.
  @default JSON: application/json and application/<anything>+json
  */
  writeTypes?: WriteTypes;
  /** Whether a write with no Content-Type at all passes (older toxiproxy-cli versions send none). @default false */
  untypedWrites?: boolean;
}

/**
Why a request looks like it comes from a web browser, or null when it does not. A listener on
127.0.0.1 can be reached by any page open in a browser on the machine (a form or a
`fetch(…, {mode: 'no-cors'})` needs no permission to send), so browsers are refused:

- a `User-Agent` starting with `Mozilla/`, in any case: Toxiproxy's own check (403
  "User agent not allowed"), which it makes case-sensitively;
- an `Origin` header, whatever its value: browsers send one with every POST, PATCH and DELETE and
  with every cross-origin request, and no meshproof or Toxiproxy client sends one;
- on a write, a `Content-Type` that is not one of `writeTypes` (JSON by default), or none: 415.
*/
export function browserRefusal(req: IncomingMessage, options: BrowserRefusalOptions = {}): Refusal | null {
  const agent = req.headers['user-agent'] ?? '';
  if (/^\s*mozilla\//i.test(agent)) return { status: 403, message: 'User agent not allowed' };
  if (req.headers.origin !== undefined) return { status: 403, message: 'Origin not allowed: this API does not answer web pages' };
  if (!isWrite(req.method)) return null;
  const type = req.headers['content-type'];
  const types = options.writeTypes ?? JSON_WRITES;
  if (type === undefined) return options.untypedWrites ? null : { status: 415, message: `a write needs a Content-Type: send ${types.named}` };
  const essence = type.split(';')[0].trim().toLowerCase();
  if (!types.accepts(essence)) return { status: 415, message: `Content-Type ${JSON.stringify(type)} not allowed: send ${types.named}` };
  return null;
}

/** `application/json` or `application/<anything>+json` (the essence: no parameters, lower case). */
export function isJson(essence: string): boolean {
  return essence === 'application/json' || /^application\/[^/\s]+\+json$/.test(essence);
}

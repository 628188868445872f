import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Random bytes in a run's credential: 256 bits, as much as the SHA-256 it is compared through. */
const CREDENTIAL_BYTES = 32;

/** What a credential may look like: base64url, at least 32 characters (192 bits). */
const CREDENTIAL_SHAPE = /^[A-Za-z0-9_-]{32,512}$/;

/**
A new credential for one run: 32 random bytes from the OS's CSPRNG, base64url (43 characters). Never
derived from the scenario's seed: a seed is in the scenario file and its reports, a credential is in
no file at all.
*/
export function newRunCredential(): string {
  return randomBytes(CREDENTIAL_BYTES).toString('base64url');
}

/** Why `token` cannot be a credential, or null when it can. */
export function credentialProblem(token: string): string | null {
  if (CREDENTIAL_SHAPE.test(token)) return null;
  return `a credential is 32 to 512 characters of A-Z a-z 0-9 - _ (base64url), got ${token.length} character${token.length === 1 ? '' : 's'}${/[^A-Za-z0-9_-]/.test(token) ? ' with others among them' : ''}`;
}

/**
A check of presented tokens against `token`, in constant time: both sides are hashed first, so the
comparison (timingSafeEqual over two 32-byte digests) takes as long whatever was presented,
including its length and how much of a prefix is right.
*/
export function credentialMatcher(token: string): (presented: string | null) => boolean {
  const problem = credentialProblem(token);
  if (problem) throw new TypeError(problem);
  const expected = digest(token);
  return (presented) => presented !== null && timingSafeEqual(digest(presented), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `{authorization: 'Bearer <token>'}`: how every meshproof client presents the run's credential. */
export function bearerHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750; the scheme in any case), or null. */
export function presentedBearer(headers: IncomingHttpHeaders): string | null {
  const value = headers.authorization;
  if (value === undefined) return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : null;
}

import type { Random } from '../util/random.ts';

/**
W3C Trace Context (`traceparent: 00-<trace-id 32 hex>-<parent-id 16 hex>-<flags 2 hex>`) and
`x-request-id`, made from the sidecar's seeded random so a replayed run has the same ids.
Parsing is by character codes: no regular expression on the request path.
*/
export interface TraceContext {
  traceId: string;
  /** The caller's span (the parent of the next span in this trace). */
  parentId: string;
  flags: string;
}

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function allZero(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/** The trace id and flags of a valid `traceparent`, or null (then a new trace is started). */
export function parseTraceparent(value: string | undefined): TraceContext | null {
  if (value === undefined || value.length < 55) return null;
  // version 'ff' is invalid; a future version may be longer, with more fields after the flags
  if (value.length > 55 && (value.charCodeAt(55) !== 45 || value.startsWith('00'))) return null;
  if (value.charCodeAt(2) !== 45 || value.charCodeAt(35) !== 45 || value.charCodeAt(52) !== 45) return null;
  if (!isLowerHex(value, 0, 2) || value.startsWith('ff')) return null;
  if (!isLowerHex(value, 3, 35) || allZero(value, 3, 35)) return null;
  if (!isLowerHex(value, 36, 52) || allZero(value, 36, 52)) return null;
  if (!isLowerHex(value, 53, 55)) return null;
  return { traceId: value.slice(3, 35), parentId: value.slice(36, 52), flags: value.slice(53, 55) };
}

/** Two hex digits per byte value, so ids are made by lookups instead of toString/padStart. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 4 random bytes as 8 hex digits. */
function hex8(random: Random): string {
  const x = (random() * 0x100000000) >>> 0;
  return HEX[x >>> 24] + HEX[(x >>> 16) & 255] + HEX[(x >>> 8) & 255] + HEX[x & 255];
}

/** 16 random bytes as 32 hex digits, never all zero. */
export function newTraceId(random: Random): string {
  const id = hex8(random) + hex8(random) + hex8(random) + hex8(random);
  return allZero(id, 0, 32) ? newTraceId(random) : id;
}

/** 8 random bytes as 16 hex digits, never all zero. */
export function newSpanId(random: Random): string {
  const id = hex8(random) + hex8(random);
  return allZero(id, 0, 16) ? newSpanId(random) : id;
}

export function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

/** A UUID v4 shaped request id (as Envoy generates for `x-request-id`). */
export function newRequestId(random: Random): string {
  const a = hex8(random);
  const b = hex8(random);
  const c = hex8(random);
  const d = hex8(random);
  const variant = ((parseInt(c[0], 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

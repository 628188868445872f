import type { Exchange } from './exchange.ts';
import { flagsToString } from './flags.ts';

/**
One access-log line per request, in the spirit of Envoy's default format:
`[START_TIME] "METHOD PATH PROTOCOL" RESPONSE_CODE RESPONSE_FLAGS DURATION "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST" direction attempts=N`.
A response code of 0 means the caller got no response; `-` means no flags.
*/
export function accessLogLine(ex: Exchange, status: number | 'error', durationMs: number, startEpochMs: number): string {
  const req = ex.req;
  const flags = flagsToString(ex.flags) || '-';
  const code = status === 'error' ? 0 : status;
  return `[${new Date(startEpochMs).toISOString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${code} ${flags} ${Math.round(durationMs)} "${ex.requestId ?? '-'}" "${ex.authority || '-'}" "${ex.upstreamAddress}" ${ex.direction} attempts=${ex.attempts}`;
}

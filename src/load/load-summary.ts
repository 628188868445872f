import type { LoadHonesty } from './load-honesty.ts';

/** What a load did: the responses it got, and how faithfully it delivered the declared load. */
export interface LoadSummary {
  /** Requests that completed (a response, or an error). */
  requests: number;
  /** Of those, the ones that got no response (reset, refused, timeout). */
  errors: number;
  /** Count by status code, `error` for no response. */
  status: Record<string, number>;
  /** Errors by kind (ECONNRESET, timeout, …). */
  errorKinds: Record<string, number>;
  /** Wall time the load ran, ms. */
  elapsedMs: number;
  honesty: LoadHonesty;
}

import { bearerHeader, newRunCredential } from '../../../src/auth/run-credential.ts';

/** The credential of the sidecars these tests start (one per test file, as one per run). */
export const TEST_CREDENTIAL = newRunCredential();

/** Headers of a config push as the control plane sends it: JSON, with the credential. */
export function pushHeaders(credential = TEST_CREDENTIAL): Record<string, string> {
  return { 'content-type': 'application/json', ...bearerHeader(credential) };
}

import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { credentialProblem } from './run-credential.ts';

/** IPC messages of the handoff: the child asks once it listens for the answer, so no message is sent before anyone hears it. */
export type CredentialMessage = { type: 'credential-request' } | { type: 'credential'; token: string };

/** The variable naming a credential file, for a process started without an IPC channel (a container, or by hand). It holds a path, never the credential. */
export const CREDENTIAL_FILE_ENV = 'MESHPROOF_CREDENTIAL_FILE';

/**
Answers a child's credential request over its IPC channel. The credential travels only there: not
in the environment (readable in /proc/<pid>/environ by any process of the same user), not on the
command line (shown by ps to every user), not in a file.
*/
export function answerCredentialRequests(child: ChildProcess, token: string): void {
  child.on('message', (m: { type?: unknown } | null) => {
    // The child can go away between the check and the write (a run torn down while it boots): the
    // callback takes that EPIPE, which would otherwise be an unhandled 'error' on the ChildProcess.
    if (m?.type === 'credential-request' && child.connected) child.send({ type: 'credential', token } satisfies CredentialMessage, () => {});
  });
}

/**
The run's credential, as a child process of meshproof gets it: over its IPC channel when it has one
(answered by answerCredentialRequests), else from the file that MESHPROOF_CREDENTIAL_FILE names.
Rejects with a message saying what is missing; `disconnected` is set on the error when the parent
went away before answering (the child then just exits, as it would have anyway).
*/
export async function receiveCredential(options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const env = options.env ?? process.env;
  if (typeof process.send === 'function') return overIpc(options.timeoutMs ?? 10_000);
  const file = env[CREDENTIAL_FILE_ENV];
  if (file) return readCredentialFile(file);
  throw new Error(`no credential: started without an IPC channel, and ${CREDENTIAL_FILE_ENV} names no file (put the run's credential in a file only you can read, chmod 600, and name it there)`);
}

function overIpc(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, token?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      if (err) reject(err);
      else resolve(token!);
    };
    const onMessage = (m: Partial<CredentialMessage> | null) => {
      if (m?.type !== 'credential') return;
      const token = (m as { token?: unknown }).token;
      if (typeof token !== 'string') return done(new Error('the parent sent a credential message without a token'));
      const problem = credentialProblem(token);
      done(problem ? new Error(`the parent sent an unusable credential: ${problem}`) : null, token);
    };
    const onDisconnect = () => done(Object.assign(new Error('the parent went away before handing over the credential'), { disconnected: true }));
    const timer = setTimeout(() => done(new Error(`no credential from the parent within ${timeoutMs}ms`)), timeoutMs);
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
    process.send!({ type: 'credential-request' } satisfies CredentialMessage);
  });
}

/**
Reads a credential file, refused (as ssh refuses a private key) when other users could read or
change it: it must be a regular file owned by this process's user, with no group or other permission.
*/
export function readCredentialFile(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new Error(`${CREDENTIAL_FILE_ENV}=${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`${CREDENTIAL_FILE_ENV}=${path} is not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${CREDENTIAL_FILE_ENV}=${path} belongs to uid ${st.uid}, not to this process's user (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${CREDENTIAL_FILE_ENV}=${path} can be read or changed by other users (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`);
  const token = readFileSync(path, 'utf8').trim();
  const problem = credentialProblem(token);
  if (problem) throw new Error(`${CREDENTIAL_FILE_ENV}=${path}: ${problem}`);
  return token;
}

import { Readable } from 'node:stream';

/** Where the run's credential is in a sidecar's, the fault engine's and the span relay's container (never in an app's). */
export const CREDENTIAL_PATH = '/run/meshproof/credential';

/**
A tar archive of one file, `CREDENTIAL_PATH` holding the credential, owned by `uid`:`gid` with mode
0400, for Docker's put-archive before the container starts. Not an environment variable, which
`docker inspect` shows to anyone who can inspect the container (and which ends up in logs and bug
reports); not a bind mount, which would need the credential in a file on the host. Docker creates
the missing directories (root, 0755); on the host the file lives in the container's layer, under
Docker's root-only data directory. testcontainers' own content copy cannot set the owner, and the
containers run as nobody (65534), who could then not read a 0400 file.
*/
export function credentialArchive(credential: string, owner: { uid: number; gid: number }): Readable {
  const data = Buffer.from(`${credential}\n`, 'utf8');
  const header = Buffer.alloc(512, 0);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  const octal = (offset: number, length: number, n: number) => field(offset, length, `${n.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, CREDENTIAL_PATH.slice(1));
  octal(100, 8, 0o400);
  octal(108, 8, owner.uid);
  octal(116, 8, owner.gid);
  octal(124, 12, data.length);
  octal(136, 12, Math.floor(Date.now() / 1000));
  field(148, 8, ' '.repeat(8));
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512, 0);
  // Two empty blocks end the archive.
  return Readable.from([Buffer.concat([header, data, padding, Buffer.alloc(1024, 0)])]);
}

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where digests are remembered between runs, keyed by what identifies a file's version on disk. */
const CACHE_FILE = join(tmpdir(), 'meshproof', 'file-digests.json');
/** Entries kept at most (a few per checkout: the Node binary, its libraries, busybox). */
const MAX_ENTRIES = 200;

/**
The SHA-256 of a file's content. An image keyed by it is the same for two checkouts holding the same
Node binary, however and whenever each was installed (a modification time would differ). Hashing the
100 MB Node binary costs a few hundred ms, so each digest is remembered in the temp folder under the
file's device, inode, size and times: a file that has not changed is not read again.
*/
export function fileDigest(path: string, cacheFile = CACHE_FILE): string {
  const real = realpathSync(path);
  const s = statSync(real);
  const version = `${real}\0${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  const cache = readCache(cacheFile);
  const known = cache.get(version);
  if (known !== undefined) return known;
  const digest = createHash('sha256').update(readFileSync(real)).digest('hex');
  cache.set(version, digest);
  writeCache(cacheFile, cache);
  return digest;
}

function readCache(file: string): Map<string, string> {
  try {
    const entries = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(entries)) return new Map(entries.filter((e): e is [string, string] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string'));
  } catch {
    /* absent or unreadable: start afresh */
  }
  return new Map();
}

/** Written whole to a temporary name and renamed: a concurrent reader sees the old or the new file. */
function writeCache(file: string, cache: Map<string, string>): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify([...cache].slice(-MAX_ENTRIES)));
    renameSync(tmp, file);
  } catch {
    /* a cache that cannot be written only costs the next run a re-read */
  }
}

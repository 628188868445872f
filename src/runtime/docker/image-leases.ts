import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pidAlive } from '../../process/pid-alive.ts';
import { processStart } from './labels.ts';

/** The folder shared by every meshproof process of this machine's user. */
export const DEFAULT_LEASES_DIR = join(tmpdir(), 'meshproof', 'images');

interface Lease {
  pid: number;
  /** The process's start time (Linux clock ticks since boot), so a recycled pid is not taken for it. */
  start: string | null;
  hashes: string[];
}

interface CheckoutRecord {
  root: string;
  hashes: string[];
  at: string;
}

/**
Which of meshproof's images (runtime and base, by hash) may still be wanted, so that a build in one
checkout never removes what another checkout's run is about to use. Two kinds of record, one file
each, in a folder every meshproof process of the machine shares:
- a lease per process that asked for images (`lease-<pid>.json`): held until that process exits;
  a lease whose process is gone is stale and ignored;
- a record per checkout (`checkout-<hash of its folder>.json`) of the images it used last: kept
  while the folder exists, so switching between two checkouts costs no rebuild.
*/
export class ImageLeases {
  readonly dir: string;
  private held: Set<string> | null = null;

  constructor(dir = DEFAULT_LEASES_DIR) {
    this.dir = dir;
  }

  /**
  Records that this process uses `hashes` (until it exits) and that they are the images the
  checkout at `root` uses now.
  */
  take(root: string, hashes: readonly string[]): void {
    mkdirSync(this.dir, { recursive: true });
    if (this.held === null) {
      this.held = new Set();
      const file = this.leaseFile(process.pid);
      // Synchronous, as 'exit' listeners must be; a process killed outright leaves a stale lease.
      process.once('exit', () => rmSync(file, { force: true }));
    }
    for (const h of hashes) this.held.add(h);
    writeAtomically(this.leaseFile(process.pid), { pid: process.pid, start: processStart(process.pid), hashes: [...this.held] } satisfies Lease);
    const folder = resolve(root);
    writeAtomically(join(this.dir, `checkout-${createHash('sha256').update(folder).digest('hex').slice(0, 16)}.json`), {
      root: folder,
      hashes: [...hashes],
      at: new Date().toISOString(),
    } satisfies CheckoutRecord);
  }

  /**
  The hashes some process or checkout may still want. Stale records (a process gone, a checkout
  folder deleted) are removed on the way.
  */
  inUse(): Set<string> {
    const out = new Set<string>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      const file = join(this.dir, name);
      if (name.startsWith('lease-') && name.endsWith('.json')) {
        const lease = readJson<Lease>(file);
        if (lease === null) continue;
        if (leaseAlive(lease)) for (const h of lease.hashes) out.add(h);
        else rmSync(file, { force: true });
      } else if (name.startsWith('checkout-') && name.endsWith('.json')) {
        const record = readJson<CheckoutRecord>(file);
        if (record === null) continue;
        if (existsSync(record.root)) for (const h of record.hashes) out.add(h);
        else rmSync(file, { force: true });
      }
    }
    return out;
  }

  private leaseFile(pid: number): string {
    return join(this.dir, `lease-${pid}.json`);
  }
}

function leaseAlive(lease: Lease): boolean {
  if (!Number.isInteger(lease.pid) || !pidAlive(lease.pid)) return false;
  const start = processStart(lease.pid);
  return lease.start === null || start === null || start === lease.start;
}

/** A record being written is read as it was, or not at all (null): never half. */
function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function writeAtomically(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

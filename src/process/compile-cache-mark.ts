import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeLayout } from '../util/code-layout.ts';
import { compileCacheDir } from './child-process.ts';

const MARK = 'meshproof-code.json';

/**
Whether Node's compile cache, where the children write it, already holds this copy of meshproof's
code: a mark the harness leaves there after a start-up whose children filled it, naming the code
by its files' count and newest change. A changed source makes the next start-up cold again, which
is then worth booting the first child of each kind alone (src/runtime/local/boot-gate.ts); warm,
that wait buys nothing.
*/
export class CompileCacheMark {
  private readonly file: string;
  private readonly code: string;

  constructor(options: { cacheDir?: string; codeDir?: string } = {}) {
    // The children's own choice (src/process/child-process.ts): the environment's, else meshproof's folder.
    this.file = join(options.cacheDir ?? process.env.NODE_COMPILE_CACHE ?? compileCacheDir(), MARK);
    this.code = fingerprint(options.codeDir ?? join(codeLayout.root, codeLayout.dir));
  }

  warm(): boolean {
    try {
      return (JSON.parse(readFileSync(this.file, 'utf8')) as { code?: unknown }).code === this.code;
    } catch {
      return false;
    }
  }

  /** After children of every kind have reported ready (and so written the cache). Best effort: a failure leaves the next start cold, nothing worse. */
  markWarm(): void {
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      writeFileSync(this.file, JSON.stringify({ code: this.code, node: process.version }) + '\n');
    } catch {
      // An unwritable cache folder: the children cannot write it either.
    }
  }
}

/** The code's files' count and their newest modification, with Node's version (whose cache is its own). */
function fingerprint(dir: string): string {
  let files = 0;
  let newest = 0;
  try {
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      files++;
      newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
    }
  } catch {
    return 'unknown';
  }
  return `${process.version}:${files}:${newest}`;
}

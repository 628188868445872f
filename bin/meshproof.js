#!/usr/bin/env node
// The `meshproof` command. A clone runs its TypeScript sources directly (Node >= 22.18 strips types:
// no build step, no drift between what runs and what is tested); an installed package has no
// sources and runs the JavaScript compiled into dist/ (Node strips no types under node_modules).
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Node needs a few hundred milliseconds to get its TypeScript stripping going and to load the CLI.
// A signal meanwhile must not end the process with Node's default (143 for SIGTERM, and no word):
// nothing has started, so exit 130 at once, saying so. The CLI removes this listener as soon as
// its own handling is in place (src/cli/interrupts.ts, EARLY_INTERRUPT_KEY).
const early = (signal) => {
  process.stderr.write(`meshproof: interrupted by ${signal} before anything had started\n`);
  process.exit(130);
};
globalThis[Symbol.for('meshproof.early-interrupt')] = early;
process.on('SIGINT', early);
process.on('SIGTERM', early);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`meshproof needs Node.js >= 22.19; this is ${process.version} (${process.execPath})\n`);
  process.exit(2);
}
// Node's compile cache before the CLI's first module, its entry included: from the cache, no module
// needs Node's TypeScript stripper, which costs ~0.1 s of CPU to load (the CLI enables the cache
// itself, but only once its entry is compiled). The folder is compileCacheDir()'s
// (src/process/child-process.ts, where the children's is chosen; test/cli/bin-compile-cache.test.ts
// checks they agree); NODE_COMPILE_CACHE, when set, is Node's own choice.
if (!process.env.NODE_COMPILE_CACHE) enableCompileCache(join(tmpdir(), 'meshproof', 'compile-cache'));
const sources = new URL('../src/cli.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli.js', import.meta.url).href);

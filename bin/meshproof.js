#!/usr/bin/env node
// The `meshproof` command. A clone runs its TypeScript sources directly (Node >= 22.18 strips types:
// no build step, no drift between what runs and what is tested); an installed package has no
// sources and runs the JavaScript compiled into dist/ (Node strips no types under node_modules).
import { existsSync } from 'node:fs';

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
const sources = new URL('../src/cli.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli.js', import.meta.url).href);

#!/usr/bin/env node
// The published entry: Node >= 22.18 runs the TypeScript sources directly (type stripping),
// so there is no build step and no drift between what runs and what is tested.

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

await import('../src/cli.ts');

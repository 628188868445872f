// Lets `node --test test/scenario/` run this folder's tests. Since Node 22 the test runner reads its
// arguments as file globs, and a bare directory is run as a module, which resolves to this file.
// `npm test` (glob test/**/*.test.ts) never loads it, so nothing runs twice.
import { readdirSync } from 'node:fs';

const here = new URL('./', import.meta.url);
for (const file of readdirSync(here).filter((f) => f.endsWith('.test.ts')).sort()) {
  await import(new URL(file, here).href);
}

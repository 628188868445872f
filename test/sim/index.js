// Lets `node --test test/sim/` work: Node resolves the directory to this file, which loads every
// `*.test.ts` under test/sim (the same files `node --test 'test/sim/**/*.test.ts'` would run).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
for (const f of files) await import(pathToFileURL(join(here, f)).href);

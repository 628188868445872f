import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { CompileCacheMark } from '../../src/process/compile-cache-mark.ts';

test('the compile cache is cold until marked, warm for the same code, cold again once a source changes', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'meshproof-cache-mark-'));
  t.onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const cacheDir = join(root, 'cache');
  const codeDir = join(root, 'src');
  mkdirSync(join(codeDir, 'sim'), { recursive: true });
  writeFileSync(join(codeDir, 'sim', 'a.ts'), 'export const a = 1;\n');
  const mark = () => new CompileCacheMark({ cacheDir, codeDir });
  assert.equal(mark().warm(), false);
  mark().markWarm();
  assert.equal(mark().warm(), true);
  utimesSync(join(codeDir, 'sim', 'a.ts'), new Date(), new Date(Date.now() + 5000));
  assert.equal(mark().warm(), false, 'a changed source');
  mark().markWarm();
  writeFileSync(join(codeDir, 'sim', 'b.ts'), 'export const b = 1;\n');
  utimesSync(join(codeDir, 'sim', 'b.ts'), new Date(0), new Date(0));
  assert.equal(mark().warm(), false, 'a new source, even an old one');
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { codeLayout } from '../../src/util/code-layout.ts';
import { ROOT } from '../helpers/cli.ts';

// The compiled layout (dist/, .js) is exercised by test/e2e/package.test.ts, from an installed package.
test('in a clone the sources run: paths under src/, as written', () => {
  expect(codeLayout).toMatchObject({ root: ROOT, dir: 'src', compiled: false });
  expect(codeLayout.relative('sim/sidecar/main.ts')).toBe('src/sim/sidecar/main.ts');
  expect(codeLayout.file('load/load-process.ts')).toBe(join(ROOT, 'src/load/load-process.ts'));
  for (const m of ['sim/sidecar/main.ts', 'sim/builtin/main.ts', 'chaos/toxiproxy/engine-process.ts', 'load/load-process.ts', 'runtime/docker/entry/sidecar.ts']) {
    expect(existsSync(codeLayout.file(m)), m).toBe(true);
  }
});

test('a path that is not a module under src/ is refused, not guessed', () => {
  expect(() => codeLayout.file('./sim/sidecar/main.ts')).toThrow(/is not a module path under src\//);
  expect(() => codeLayout.file('/abs/main.ts')).toThrow();
  expect(() => codeLayout.file('sim/sidecar/main.js')).toThrow();
});

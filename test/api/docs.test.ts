// docs/api.md must stay true: its example is the test in run.test.ts, as it runs.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('the example in docs/api.md is the example test of test/api/run.test.ts, unchanged', () => {
  const region = read('test/api/run.test.ts').match(/\n {2}\/\/ example:start\n([\s\S]*?)\n {2}\/\/ example:end\n/)![1];
  const example = region
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n');
  const shown = read('docs/api.md').match(/```ts\n([\s\S]*?)```/)![1];
  expect(shown).toContain(example);
  // It imports from the package's name, which run.test.ts reaches as src/index.ts.
  expect(shown).toMatch(/^import \{ run, validate \} from 'meshproof';$/m);
  expect(read('test/api/run.test.ts')).toMatch(/^import \{ run, ScenarioInvalidError, validate, type RunEvent \} from '\.\.\/\.\.\/src\/index\.ts';$/m);
});

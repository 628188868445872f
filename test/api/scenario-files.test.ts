import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { scenarioFiles } from '../../src/api/scenario-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(join(tmp, 'scenarios/nested'), { recursive: true });
mkdirSync(join(tmp, 'empty'));
for (const f of ['b.yaml', 'a.yml', 'notes.md', 'nested/deep.yaml']) writeFileSync(join(tmp, 'scenarios', f), '');

test('a folder stands for the scenario files directly in it, in name order; files stay as given', async () => {
  expect(await scenarioFiles(['scenarios', 'x.yaml', 'scenarios/b.yaml'], tmp)).toEqual({
    files: ['scenarios/a.yml', 'scenarios/b.yaml', 'x.yaml', 'scenarios/b.yaml'],
    emptyFolders: [],
  });
  expect((await scenarioFiles([join(tmp, 'scenarios/')], '/')).files).toEqual([join(tmp, 'scenarios/a.yml'), join(tmp, 'scenarios/b.yaml')]);
});

test('a folder without scenarios is reported (a CI job pointed at the wrong folder must not pass)', async () => {
  expect(await scenarioFiles(['empty', 'scenarios/nested'], tmp)).toEqual({ files: ['scenarios/nested/deep.yaml'], emptyFolders: ['empty'] });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ciWorkflow } from '../../src/init/ci-workflow.ts';
import { initProject } from '../../src/init/init-project.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { SCHEMA_FILE } from '../../src/scenario/write-schema.ts';
import { runCli } from '../helpers/cli.ts';
import { validate as validateAgainstSchema } from '../scenario/mini-json-schema.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project folder with meshproof "installed": node_modules/meshproof/schema/scenario.schema.json. */
function projectWithMeshproof(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'node_modules/meshproof/schema'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/meshproof/schema/scenario.schema.json'), readFileSync(SCHEMA_FILE));
  return dir;
}

describe('meshproof init', () => {
  test('writes a starter scenario whose first line names the installed schema, and a workflow', async () => {
    const dir = projectWithMeshproof('fresh');
    const r = await initProject(dir);
    assert.deepEqual(r.written, ['scenarios/starter.yaml', '.github/workflows/meshproof.yml']);
    assert.equal(r.installed, true);
    const starter = readFileSync(join(dir, 'scenarios/starter.yaml'), 'utf8');
    const modeline = starter.split('\n')[0];
    assert.equal(modeline, '# yaml-language-server: $schema=../node_modules/meshproof/schema/scenario.schema.json');
    // The path resolves, from the scenario's folder, to the schema file.
    const schemaFile = join(dir, 'scenarios', modeline.split('$schema=')[1]);
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    // What an editor checks against the schema, and what meshproof checks: both accept it, with no warning.
    assert.deepEqual(validateAgainstSchema(schema, parse(starter)), []);
    const parsed = parseScenario(starter, 'starter.yaml');
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.warnings, []);
    assert.equal(parsed.scenario?.name, 'starter');
    const workflow = parse(readFileSync(join(dir, '.github/workflows/meshproof.yml'), 'utf8'));
    const steps = workflow.jobs.meshproof.steps as { run?: string; uses?: string; if?: string; with?: Record<string, unknown> }[];
    assert.ok(steps.some((s) => s.run === 'npm ci'));
    assert.ok(steps.some((s) => s.run === 'npx meshproof run scenarios/'));
    const junit = steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'));
    assert.equal(junit?.with?.report_paths, 'reports/*/junit.xml');
    // Reports are kept also when meshproof failed the job.
    for (const s of steps.filter((s) => s.uses?.startsWith('actions/upload-artifact') || s === junit)) assert.equal(s.if, '${{ !cancelled() }}');
  });

  test('the schema path is found in a parent folder (a workspace) and, when meshproof is not installed, points where it will be', async () => {
    const workspace = projectWithMeshproof('workspace');
    const pkg = join(workspace, 'packages/shop');
    mkdirSync(pkg, { recursive: true });
    expect((await initProject(pkg)).schemaPath).toBe('../../../node_modules/meshproof/schema/scenario.schema.json');
    const bare = join(tmp, 'bare');
    const r = await initProject(bare);
    expect(r.installed).toBe(false);
    expect(r.schemaPath).toBe('../node_modules/meshproof/schema/scenario.schema.json');
  });

  test('never overwrites: a file that exists stops it before anything is written, unless --force', async () => {
    const dir = projectWithMeshproof('existing');
    mkdirSync(join(dir, 'scenarios'), { recursive: true });
    writeFileSync(join(dir, 'scenarios/starter.yaml'), 'mine\n');
    await expect(initProject(dir)).rejects.toMatchObject({ code: 'MESHPROOF_FILE_EXISTS', message: `${join(dir, 'scenarios/starter.yaml')} exists; nothing was written (--force overwrites)` });
    assert.equal(readFileSync(join(dir, 'scenarios/starter.yaml'), 'utf8'), 'mine\n');
    assert.throws(() => readFileSync(join(dir, '.github/workflows/meshproof.yml')), { code: 'ENOENT' });
    await initProject(dir, { force: true });
    assert.match(readFileSync(join(dir, 'scenarios/starter.yaml'), 'utf8'), /^# yaml-language-server: /);
  });

  test('the CLI: exit 0 with the next commands, then exit 2 naming the file it will not overwrite', async () => {
    const dir = projectWithMeshproof('cli');
    const first = await runCli(['init', dir], { timeoutMs: 20_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`npx meshproof run ${join(dir, 'scenarios/starter.yaml').replace(/[.]/g, '\\.')}`));
    writeFileSync(join(dir, '.github/workflows/meshproof.yml'), 'mine\n');
    const second = await runCli(['init', dir], { timeoutMs: 20_000 });
    assert.equal(second.code, 2);
    assert.match(second.stderr, /scenarios\/starter\.yaml and .*\.github\/workflows\/meshproof\.yml exist; nothing was written \(--force overwrites\)/);
    assert.equal(readFileSync(join(dir, '.github/workflows/meshproof.yml'), 'utf8'), 'mine\n');
    const forced = await runCli(['init', dir, '--force'], { timeoutMs: 20_000 });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(join(dir, '.github/workflows/meshproof.yml'), 'utf8'), /^# meshproof: /);
    const extra = await runCli(['init', dir, 'other'], { timeoutMs: 20_000 });
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /one project folder at most/);
  }, 90_000);

  test('docs/ci.md shows the workflow init writes', () => {
    const doc = readFileSync(new URL('../../docs/ci.md', import.meta.url), 'utf8');
    const shown = doc.match(/## GitHub Actions\n\n```yaml\n([\s\S]*?)```/)![1];
    const written = ciWorkflow('scenarios');
    expect(written.endsWith(shown)).toBe(true);
    expect(shown.startsWith('name: meshproof\n')).toBe(true);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { MeshproofError, ScenarioInvalidError, type ScenarioIssue } from '../../src/errors.ts';
import { loadScenario } from '../../src/scenario/parse-scenario.ts';
import { FIXTURES } from './helpers.ts';

const PARSE_SCENARIO = fileURLToPath(new URL('../../src/scenario/parse-scenario.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'meshproof-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => fileURLToPath(new URL(name, FIXTURES));

test('a valid file: the scenario, with its path as source', async () => {
  const path = fixture('valid-minimal.yaml');
  const s = await loadScenario(path);
  assert.equal(s.name, 'minimal');
  assert.deepEqual(s.source, { file: path });
});

test('an invalid file: ScenarioInvalidError with every issue, its message listing them with file:line:col', async () => {
  const path = fixture('unknown-references.yaml');
  await assert.rejects(loadScenario(path), (e: unknown) => {
    assert.ok(e instanceof ScenarioInvalidError);
    assert.equal(e.code, 'MESHPROOF_SCENARIO_INVALID');
    assert.equal(e.issues.length, 4);
    assert.ok(e.issues.every((i) => i.file === path));
    const lines = e.message.split('\n');
    assert.equal(lines[0], `4 problems in ${path}:`);
    assert.equal(lines[1], `  ${path}:7:20 services.front.calls[1]: unknown service "cahce"; did you mean "cache"? (services: front, store, cache)`);
    return true;
  });
});

test('warnings go to onWarning and do not block', async () => {
  const seen: ScenarioIssue[] = [];
  const s = await loadScenario(fixture('warnings.yaml'), { onWarning: (w) => seen.push(w) });
  assert.equal(s.name, 'warnings');
  assert.equal(seen.length, 7);
  assert.equal(seen[0].path, 'services.front.queue');
});

test('a file that cannot be read: MESHPROOF_SCENARIO_UNREADABLE naming the path and why', async () => {
  const missing = join(dir, 'nope.yaml');
  await assert.rejects(loadScenario(missing), (e: unknown) => {
    assert.ok(e instanceof MeshproofError);
    assert.equal(e.code, 'MESHPROOF_SCENARIO_UNREADABLE');
    assert.equal(e.message, `cannot read scenario ${missing}: no such file`);
    assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  });
  await assert.rejects(loadScenario(dir), { code: 'MESHPROOF_SCENARIO_UNREADABLE', message: `cannot read scenario ${dir}: it is a directory, not a file` });
});

test('a file without read permission', async () => {
  const locked = join(dir, 'locked.yaml');
  writeFileSync(locked, 'version: 1\n');
  chmodSync(locked, 0o000);
  const expected = { code: 'MESHPROOF_SCENARIO_UNREADABLE', message: `cannot read scenario ${locked}: permission denied` };
  if (process.getuid?.() !== 0) {
    await assert.rejects(loadScenario(locked), expected);
    return;
  }
  // Root reads anything, so the read happens in a child that drops to nobody once its modules are loaded.
  chmodSync(dir, 0o755);
  const script = `import { loadScenario } from ${JSON.stringify(PARSE_SCENARIO)};
process.setgid(65534);
process.setuid(65534);
loadScenario(${JSON.stringify(locked)}).then(() => console.log('{"read":true}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), expected);
});

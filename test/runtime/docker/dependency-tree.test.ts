import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { dependencyTree } from '../../../src/runtime/docker/runtime-image.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-deptree-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pkg(dir: string, name: string, version: string, fields: Record<string, Record<string, string>> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, ...fields }));
}

test('a clone: every production dependency under its own node_modules, never a devDependency', () => {
  const root = join(tmp, 'clone');
  pkg(root, 'meshproof', '0.1.0', { dependencies: { a: '^1' }, devDependencies: { typescript: '*' } });
  pkg(join(root, 'node_modules/a'), 'a', '1.0.0', { dependencies: { '@s/b': '^2' } });
  pkg(join(root, 'node_modules/@s/b'), '@s/b', '2.1.0');
  pkg(join(root, 'node_modules/typescript'), 'typescript', '7.0.0');
  const t = dependencyTree(root);
  expect(t).toEqual({ base: root, appDir: '.', packages: [{ path: 'node_modules/@s/b', version: '2.1.0' }, { path: 'node_modules/a', version: '1.0.0' }], links: [] });
});

test('installed by npm in a project: hoisted beside meshproof, nested where versions differ, optional ones when present', () => {
  const project = join(tmp, 'project');
  pkg(project, 'a-project', '1.0.0', { devDependencies: { meshproof: '*' } });
  const root = join(project, 'node_modules/meshproof');
  pkg(root, 'meshproof', '0.1.0', { dependencies: { a: '^1', c: '^3' }, optionalDependencies: { gone: '*' }, peerDependencies: { absent: '*' } });
  pkg(join(project, 'node_modules/a'), 'a', '1.0.0', { dependencies: { c: '^2' } });
  // a wants c@2, meshproof c@3: npm hoists one and nests the other.
  pkg(join(project, 'node_modules/c'), 'c', '2.0.0');
  pkg(join(root, 'node_modules/c'), 'c', '3.0.0');
  // Not meshproof's: left out.
  pkg(join(project, 'node_modules/unrelated'), 'unrelated', '9.9.9');
  const t = dependencyTree(root);
  expect(t.base).toBe(project);
  expect(t.appDir).toBe('node_modules/meshproof');
  expect(t.packages).toEqual([
    { path: 'node_modules/a', version: '1.0.0' },
    { path: 'node_modules/c', version: '2.0.0' },
    { path: 'node_modules/meshproof/node_modules/c', version: '3.0.0' },
  ]);
  expect(t.links).toEqual([]);
});

test("pnpm's layout: the symlinks Node looks through are kept, pointing into the store", () => {
  const project = join(tmp, 'pnpm');
  const store = join(project, 'node_modules/.pnpm');
  const root = join(store, 'meshproof@0.1.0/node_modules/meshproof');
  pkg(root, 'meshproof', '0.1.0', { dependencies: { a: '^1' } });
  pkg(join(store, 'a@1.0.0/node_modules/a'), 'a', '1.0.0', { dependencies: { b: '^1' } });
  pkg(join(store, 'b@1.0.0/node_modules/b'), 'b', '1.0.0');
  const link = (at: string, to: string) => {
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(to, at);
  };
  link(join(store, 'meshproof@0.1.0/node_modules/a'), '../../a@1.0.0/node_modules/a');
  link(join(store, 'a@1.0.0/node_modules/b'), '../../b@1.0.0/node_modules/b');
  const t = dependencyTree(root);
  expect(t.base).toBe(project);
  expect(t.appDir).toBe('node_modules/.pnpm/meshproof@0.1.0/node_modules/meshproof');
  expect(t.packages.map((p) => p.path)).toEqual(['node_modules/.pnpm/a@1.0.0/node_modules/a', 'node_modules/.pnpm/b@1.0.0/node_modules/b']);
  expect(t.links).toEqual([
    { path: 'node_modules/.pnpm/a@1.0.0/node_modules/b', target: '../../b@1.0.0/node_modules/b' },
    { path: 'node_modules/.pnpm/meshproof@0.1.0/node_modules/a', target: '../../a@1.0.0/node_modules/a' },
  ]);
});

test('a required dependency that is not installed: a clear error naming it', () => {
  const root = join(tmp, 'broken');
  pkg(root, 'meshproof', '0.1.0', { dependencies: { yaml: '^2' } });
  expect(() => dependencyTree(root)).toThrow(/yaml, a dependency of meshproof, is not installed \(looked for node_modules\/yaml from .* up\); run npm install/);
});

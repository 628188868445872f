// The layering check: the import scanner, the checker on made-up folder graphs, and src/ itself.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, onTestFinished, test } from 'vitest';
import { importEdges } from '../../tools/layers/folder-graph.ts';
import { layerViolations } from '../../tools/layers/layer-check.ts';
import { ENTRY_POINTS, LAYERS as LAYERS_OF_SRC } from '../../tools/layers/layer-order.ts';
import { layersDoc } from '../../tools/layers/layers-doc.ts';
import { ARCHITECTURE_DOC, SOURCE_ROOT } from '../../tools/layers/main.ts';
import { moduleImports } from '../../tools/layers/module-imports.ts';

describe('moduleImports', () => {
  test('finds every form of import, type-only and dynamic ones too', () => {
    const src = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "import c, { type C } from './c.ts';",
      "import * as d from './d.ts';",
      "import './e.ts';",
      "export { f } from './f.ts';",
      "export type { G } from './g.ts';",
      "export * from './h.ts';",
      'import {',
      '  i,',
      "} from './i.ts';",
      "const j = await import('./j.ts');",
      "let k: import('./k.ts').K;",
      "const l = require('./l.js');",
      'const m = await import(name);',
    ].join('\n');
    assert.deepEqual(
      moduleImports(src).map((m) => [m.specifier, m.kind, m.line]),
      [
        ['./a.ts', 'import', 1],
        ['./b.ts', 'import type', 2],
        ['./c.ts', 'import', 3],
        ['./d.ts', 'import', 4],
        ['./e.ts', 'import', 5],
        ['./f.ts', 'export from', 6],
        ['./g.ts', 'export from', 7],
        ['./h.ts', 'export from', 8],
        ['./i.ts', 'import', 11],
        ['./j.ts', 'import()', 12],
        ['./k.ts', 'import()', 13],
        ['./l.js', 'require', 14],
        [null, 'import()', 15],
      ],
    );
  });

  test('takes nothing in comments, strings, templates or regular expressions for an import', () => {
    const src = [
      "// import x from './comment.ts';",
      "/* import('./block.ts') */",
      "const s = \"import y from './string.ts'\";",
      "const t = `import z from './template.ts' ${\"from './inner.ts'\"} import('./tail.ts')`;",
      "const r = /from '.\\/regex.ts'/;",
      "const d = a / b; const e = c / 2; // from './after-division.ts'",
      'const o = import.meta.url;',
      "const n = `${`${`nested`}`}`; import real from './real.ts';",
    ].join('\n');
    assert.deepEqual(moduleImports(src).map((m) => m.specifier), ['./real.ts']);
  });

  test('a division after a call or an index is not a regular expression', () => {
    const src = "const a = f(x) / 2; const b = y[0] / z; const c = n++ / 2;\nimport after from './after.ts';";
    assert.deepEqual(moduleImports(src).map((m) => [m.specifier, m.line]), [['./after.ts', 2]]);
  });
});

/** A source tree in a temporary folder: path → content. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'meshproof-layers-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const LAYERS = [
  { folders: ['low', 'side.ts'], what: '' },
  { folders: ['mid', 'other'], what: '' },
  { folders: ['high'], what: '' },
];

describe('layerViolations', () => {
  test('imports down the layers and within a layer one way are fine; packages and files beside src are not folders', () => {
    const root = tree({
      'low/a.ts': "import { x } from 'yaml'; import '../side.ts'; import '../../package.json';",
      'side.ts': '',
      'mid/b.ts': "import type { A } from '../low/a.ts'; import '../other/c.ts';",
      'other/c.ts': '',
      'high/d.ts': "import('../mid/b.ts');",
    });
    assert.deepEqual(layerViolations(importEdges(root), LAYERS, []), []);
  });

  test('an upward import fails with its file and line, a type-only or dynamic one too', () => {
    const root = tree({
      'low/a.ts': "\nimport type { B } from '../mid/b.ts';",
      'mid/b.ts': "const h = await import('../high/h.ts');",
      'high/h.ts': '',
    });
    assert.deepEqual(
      layerViolations(importEdges(root), LAYERS, []).map((v) => [v.kind, v.message]),
      [
        ['upward', 'low/a.ts:2: low (layer 1) imports mid/b.ts (mid, layer 2), which is above it'],
        ['upward', 'mid/b.ts:1: mid (layer 2) imports high/h.ts (high, layer 3), which is above it'],
      ],
    );
  });

  test('an entry point may import upward; one that no longer does is stale; only it may import a computed path', () => {
    const root = tree({
      'low/main.ts': "import '../high/h.ts'; await import(where);",
      'low/quiet.ts': "import './main.ts';",
      'mid/m.ts': 'await import(somewhere);',
      'high/h.ts': '',
    });
    const violations = layerViolations(importEdges(root), LAYERS, [{ file: 'low/main.ts' }, { file: 'low/quiet.ts' }]);
    assert.deepEqual(
      violations.map((v) => [v.kind, v.message]),
      [
        ['computed', 'mid/m.ts:1: import() of a computed specifier, which the check cannot follow (only entry points may)'],
        ['stale-entry', 'low/quiet.ts is listed as an entry point but imports nothing above its layer: take it off ENTRY_POINTS'],
      ],
    );
  });

  test('folders that import each other fail, within a layer, round a longer loop, and through an entry point', () => {
    const root = tree({
      'mid/a.ts': "import '../other/b.ts';",
      'other/b.ts': "import '../mid/a.ts';",
      'low/x.ts': "import '../side.ts';",
      'side.ts': "import './low/y.ts';",
      'low/y.ts': '',
    });
    const three = tree({
      'low/a.ts': '',
      'mid/a.ts': "import '../other/main.ts'; import '../low/a.ts';",
      'other/main.ts': "import '../high/a.ts';",
      'high/a.ts': "import '../mid/a.ts';",
    });
    assert.deepEqual(
      layerViolations(importEdges(root), LAYERS, []).map((v) => v.message),
      [
        'folders import each other: low → side.ts (low/x.ts:1 imports side.ts); side.ts → low (side.ts:1 imports low/y.ts)',
        'folders import each other: mid → other (mid/a.ts:1 imports other/b.ts); other → mid (other/b.ts:1 imports mid/a.ts)',
      ],
    );
    const loop = layerViolations(importEdges(three), LAYERS, [{ file: 'other/main.ts' }]);
    assert.deepEqual(loop.map((v) => v.message), [
      'folders import each other: high → mid (high/a.ts:1 imports mid/a.ts); mid → other (mid/a.ts:1 imports other/main.ts); other → high (other/main.ts:1 imports high/a.ts)',
    ]);
  });

  test('a folder in no layer fails', () => {
    const root = tree({ 'low/a.ts': "import '../new/b.ts';", 'new/b.ts': '' });
    assert.deepEqual(layerViolations(importEdges(root), LAYERS, []).map((v) => v.kind), ['unplaced']);
  });
});

describe("meshproof's own sources", () => {
  test("src/ has no cycle between folders and no upward import but its entry points'", () => {
    const violations = layerViolations(importEdges(SOURCE_ROOT), LAYERS_OF_SRC, ENTRY_POINTS);
    assert.deepEqual(violations.map((v) => v.message), [], 'run `npm run layers` to see the folder graph');
  });

  test('docs/architecture.md shows the layer order as layer-order.ts writes it (npm run layers rewrites it)', () => {
    assert.ok(readFileSync(ARCHITECTURE_DOC, 'utf8').includes(layersDoc(LAYERS_OF_SRC, ENTRY_POINTS)), 'docs/architecture.md is out of date: run `npm run layers`');
  });
});

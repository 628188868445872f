// `npm run layers`: rewrites the layer table in docs/architecture.md from layer-order.ts, prints
// the folder graph layer by layer, and exits 1 with every violation when the imports break the
// layering (test/tools/layers.test.ts fails on the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importEdges } from './folder-graph.ts';
import { layerViolations } from './layer-check.ts';
import { ENTRY_POINTS, LAYERS } from './layer-order.ts';
import { layersDoc, withLayersDoc } from './layers-doc.ts';

export const SOURCE_ROOT = fileURLToPath(new URL('../../src', import.meta.url));
export const ARCHITECTURE_DOC = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));

if (import.meta.main) {
  writeFileSync(ARCHITECTURE_DOC, withLayersDoc(readFileSync(ARCHITECTURE_DOC, 'utf8'), layersDoc(LAYERS, ENTRY_POINTS)));
  const edges = importEdges(SOURCE_ROOT);
  const entries = new Set(ENTRY_POINTS.map((e) => e.file));
  for (const [i, layer] of [...LAYERS.entries()].reverse()) {
    for (const folder of layer.folders) {
      const out = edges.filter((e) => e.fromFolder === folder && e.toFolder !== folder && e.toFolder !== null);
      const to = [...new Set(out.map((e) => e.toFolder!))].sort();
      // A folder reached only from entry points is marked: the composition of a process, not a dependency of the part.
      const shown = to.map((t) => (out.every((e) => e.toFolder !== t || entries.has(e.from)) ? `${t} (entry points)` : t));
      console.log(`${String(i + 1).padStart(2)}  ${folder.padEnd(10)} → ${shown.join(', ') || '(nothing)'}`);
    }
  }
  const violations = layerViolations(edges, LAYERS, ENTRY_POINTS);
  for (const v of violations) console.log(`${v.kind}: ${v.message}`);
  console.log(violations.length === 0 ? `\nno cycle between folders, no upward import (${edges.length} imports)` : `\n${violations.length} violation(s)`);
  if (violations.length > 0) process.exitCode = 1;
}

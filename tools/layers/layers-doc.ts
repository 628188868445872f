import type { Layer } from './layer-order.ts';

const START = '<!-- layers:start (generated from tools/layers/layer-order.ts by npm run layers; do not edit) -->';
const END = '<!-- layers:end -->';

/** The layer table and the entry points, as docs/architecture.md shows them (top layer first). */
export function layersDoc(layers: Layer[], entryPoints: { file: string; why: string }[]): string {
  const name = (f: string) => (f.endsWith('.ts') ? `\`${f}\`` : `\`${f}/\``);
  const rows = layers.map((l, i) => `| ${i + 1} | ${l.folders.map(name).join(', ')} | ${l.what} |`).reverse();
  const entries = entryPoints.map((e) => `- \`src/${e.file}\`: ${e.why}`);
  return [
    START,
    '| layer | in `src/` | what for |',
    '|---|---|---|',
    ...rows,
    '',
    'Entry points, which may import above their layer (the main modules of processes the harness starts):',
    '',
    ...entries,
    END,
  ].join('\n');
}

/** `doc` with its generated layer section replaced by `section`; throws when the markers are missing. */
export function withLayersDoc(doc: string, section: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the layer section's markers are missing (${START} … ${END})`);
  return doc.slice(0, start) + section + doc.slice(end + END.length);
}

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { moduleImports, type ModuleImport } from './module-imports.ts';

/** One import of one module by another, both under the source root. */
export interface ImportEdge {
  /** The importing file, relative to the source root, with `/`. */
  from: string;
  /** The imported file, relative to the source root; null for a computed `import(expr)`. */
  to: string | null;
  kind: ModuleImport['kind'];
  line: number;
  /** The folders the two files are in (see `folderOf`). */
  fromFolder: string;
  toFolder: string | null;
}

/**
The folder a source file belongs to: its first folder under the source root (`sim/sidecar/x.ts` →
`sim`), or, for a file at the root, the file itself (`errors.ts`).
*/
export function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

/** Every import between the TypeScript files under `root` (imports of packages are left out). */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const from = toPosix(relative(root, file));
    for (const imp of moduleImports(readFileSync(file, 'utf8'))) {
      if (imp.specifier === null) {
        edges.push({ from, to: null, kind: imp.kind, line: imp.line, fromFolder: folderOf(from), toFolder: null });
        continue;
      }
      if (!imp.specifier.startsWith('./') && !imp.specifier.startsWith('../')) continue;
      const target = toPosix(relative(root, resolve(dirname(file), imp.specifier)));
      // A relative import that leaves the source root (package.json, say) is not between folders.
      if (target.startsWith('../')) continue;
      edges.push({ from, to: target, kind: imp.kind, line: imp.line, fromFolder: folderOf(from), toFolder: folderOf(target) });
    }
  }
  return edges;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

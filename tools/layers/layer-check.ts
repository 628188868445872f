import type { ImportEdge } from './folder-graph.ts';
import type { Layer } from './layer-order.ts';

export interface LayerViolation {
  kind: 'unplaced' | 'upward' | 'cycle' | 'computed' | 'stale-entry';
  /** What is wrong, with the file and line of each import involved. */
  message: string;
}

/**
What breaks the layering in a set of imports: a folder no layer names, an import pointing up the
layers from a file that is not an entry point, a computed `import()` outside an entry point, folders
that import each other (directly or round a longer cycle, entry points included), and an entry point
that no longer imports upward.
*/
export function layerViolations(edges: ImportEdge[], layers: Layer[], entryPoints: { file: string }[]): LayerViolation[] {
  const out: LayerViolation[] = [];
  const layerOf = new Map<string, number>();
  layers.forEach((l, i) => l.folders.forEach((f) => layerOf.set(f, i)));
  const entries = new Set(entryPoints.map((e) => e.file));
  const at = (e: ImportEdge) => `${e.from}:${e.line}`;

  const folders = new Set<string>();
  for (const e of edges) {
    folders.add(e.fromFolder);
    if (e.toFolder !== null) folders.add(e.toFolder);
  }
  for (const f of [...folders].sort()) {
    if (!layerOf.has(f)) out.push({ kind: 'unplaced', message: `src/${f} is in no layer: add it to LAYERS (tools/layers/layer-order.ts)` });
  }

  const upwardEntries = new Set<string>();
  for (const e of edges) {
    if (e.to === null) {
      if (entries.has(e.from)) upwardEntries.add(e.from);
      else out.push({ kind: 'computed', message: `${at(e)}: import() of a computed specifier, which the check cannot follow (only entry points may)` });
      continue;
    }
    const from = layerOf.get(e.fromFolder);
    const to = layerOf.get(e.toFolder!);
    if (from === undefined || to === undefined || to <= from) continue;
    if (entries.has(e.from)) {
      upwardEntries.add(e.from);
      continue;
    }
    out.push({ kind: 'upward', message: `${at(e)}: ${e.fromFolder} (layer ${from + 1}) imports ${e.to} (${e.toFolder}, layer ${to + 1}), which is above it` });
  }
  for (const file of entries) {
    if (!upwardEntries.has(file)) out.push({ kind: 'stale-entry', message: `${file} is listed as an entry point but imports nothing above its layer: take it off ENTRY_POINTS` });
  }

  for (const cycle of folderCycles(edges)) {
    const evidence = cycle.map((f, i) => {
      const next = cycle[(i + 1) % cycle.length];
      const e = edges.find((x) => x.fromFolder === f && x.toFolder === next)!;
      return `${f} → ${next} (${at(e)} imports ${e.to})`;
    });
    out.push({ kind: 'cycle', message: `folders import each other: ${evidence.join('; ')}` });
  }
  return out;
}

/**
The folders that import each other: every pair that does directly, and, for a group of folders
that reach each other only round a longer loop, the shortest such loop from its first folder by name.
*/
export function folderCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.toFolder === null || e.toFolder === e.fromFolder) continue;
    if (!next.has(e.fromFolder)) next.set(e.fromFolder, new Set());
    next.get(e.fromFolder)!.add(e.toFolder);
  }
  const cycles: string[][] = [];
  for (const group of stronglyConnected(next)) {
    if (group.length < 2) continue;
    const sorted = [...group].sort();
    const pairs = sorted.flatMap((a) => sorted.filter((b) => a < b && next.get(a)?.has(b) && next.get(b)?.has(a)).map((b) => [a, b]));
    if (pairs.length > 0) cycles.push(...pairs);
    else cycles.push(shortestCycle(sorted[0], next, new Set(group)));
  }
  return cycles.sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

// Tarjan's algorithm.
function stronglyConnected(next: Map<string, Set<string>>): string[][] {
  const nodes = new Set<string>([...next.keys(), ...[...next.values()].flatMap((s) => [...s])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      groups.push(group);
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return groups;
}

function shortestCycle(start: string, next: Map<string, Set<string>>, within: Set<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(next.get(v) ?? [])].sort()) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return path;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

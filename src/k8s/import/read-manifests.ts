import { globSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioIssue } from '../../errors.ts';
import { parseManifests, type Manifest } from '../manifest.ts';

export interface ReadManifests {
  files: string[];
  manifests: Manifest[];
  /** Files that cannot be read or parsed, positioned where possible. */
  issues: ScenarioIssue[];
  /** A pattern (by index) that matched nothing. */
  unmatched: { pattern: number; message: string }[];
}

const YAML = /\.ya?ml$/;

/**
Reads every YAML file that files, folders (recursively: their .yaml and .yml files) or globs name,
each once, in a stable order (patterns in order, matches sorted). `base` is the folder relative
patterns start from; the paths in results and messages are `base`-joined as written, so they read
like the user's own.
*/
export function readManifests(patterns: string[], base: string): ReadManifests {
  const out: ReadManifests = { files: [], manifests: [], issues: [], unmatched: [] };
  const seen = new Set<string>();
  patterns.forEach((pattern, index) => {
    const matches = expand(pattern, base);
    if (matches.length === 0) {
      out.unmatched.push({ pattern: index, message: `${JSON.stringify(pattern)} matches no file${/[*?[]/.test(pattern) ? '' : ' or folder'} (relative to ${base === '.' ? 'the current folder' : base}) with .yaml or .yml files` });
    }
    for (const file of matches) {
      if (seen.has(file)) continue;
      seen.add(file);
      out.files.push(file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        out.issues.push({ file, line: 1, col: 1, path: '', message: `cannot read: ${(e as Error).message}` });
        continue;
      }
      const parsed = parseManifests(text, file);
      out.manifests.push(...parsed.manifests);
      out.issues.push(...parsed.issues);
    }
  });
  return out;
}

function expand(pattern: string, base: string): string[] {
  const path = pattern.startsWith('/') ? pattern : join(base, pattern);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    stat = null;
  }
  if (stat?.isFile()) return [path];
  if (stat?.isDirectory()) return walk(path);
  if (!/[*?[{]/.test(pattern)) return [];
  const cwd = pattern.startsWith('/') ? '/' : base;
  return globSync(pattern.startsWith('/') ? pattern.slice(1) : pattern, { cwd })
    .map((p) => join(cwd, p))
    .flatMap((p) => {
      try {
        return statSync(p).isDirectory() ? walk(p) : YAML.test(p) ? [p] : [];
      } catch {
        return [];
      }
    })
    .sort();
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (YAML.test(entry.name)) out.push(p);
  }
  return out;
}

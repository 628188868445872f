import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** What `meshproof run|validate|explain` were given, as scenario files. */
export interface ScenarioFiles {
  /** Files in the order given; a folder contributes its `*.yaml` and `*.yml` files in name order. */
  files: string[];
  /** Folders that hold no scenario file: an error (a CI job pointed at the wrong folder must not pass). */
  emptyFolders: string[];
}

/**
Expands folders among the arguments into the scenario files directly in them (not in subfolders),
so `meshproof run scenarios/` runs every scenario of a folder in any shell — one that expands
`scenarios/*.yaml` runs the same files. Anything else is kept as given, to be read (and to fail with
a clear message when it cannot be). Paths stay as written, relative to `cwd` where they were.
*/
export async function scenarioFiles(args: readonly string[], cwd: string = process.cwd()): Promise<ScenarioFiles> {
  const files: string[] = [];
  const emptyFolders: string[] = [];
  for (const arg of args) {
    const isFolder = await stat(resolve(cwd, arg)).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isFolder) {
      files.push(arg);
      continue;
    }
    const inside = (await readdir(resolve(cwd, arg))).filter((f) => /\.ya?ml$/.test(f)).sort();
    if (inside.length === 0) emptyFolders.push(arg);
    for (const f of inside) files.push(join(arg, f));
  }
  return { files, emptyFolders };
}

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { MeshproofError } from '../errors.ts';
import { ciWorkflow } from './ci-workflow.ts';
import { starterScenario } from './starter-scenario.ts';

/** Where the scenarios go, relative to the project. */
export const SCENARIOS_DIR = 'scenarios';
const STARTER = `${SCENARIOS_DIR}/starter.yaml`;
const WORKFLOW = '.github/workflows/meshproof.yml';
/** The schema inside an installed meshproof, relative to the project's node_modules. */
const INSTALLED_SCHEMA = 'meshproof/schema/scenario.schema.json';

export interface InitOptions {
  /** Overwrite files that exist. @default false: nothing is written when one exists */
  force?: boolean;
}

export interface InitResult {
  /** Files written, relative to the project folder, in the order written. */
  written: string[];
  /** The schema path on the starter's first line, relative to its folder. */
  schemaPath: string;
  /** False when no node_modules/meshproof was found from the project up: the schema path assumes it will be installed there. */
  installed: boolean;
}

/**
`meshproof init`: a commented starter scenario and a GitHub Actions workflow in `projectDir`.
Writes nothing when a file it would write exists, unless `force` — a MeshproofError
`MESHPROOF_FILE_EXISTS` names the files.
*/
export async function initProject(projectDir: string, options: InitOptions = {}): Promise<InitResult> {
  const project = resolve(projectDir);
  const existing = [STARTER, WORKFLOW].filter((f) => existsSync(join(project, f)));
  if (existing.length > 0 && !options.force) {
    const shown = existing.map((f) => join(projectDir, f));
    throw new MeshproofError('MESHPROOF_FILE_EXISTS', `${shown.join(' and ')} ${existing.length === 1 ? 'exists' : 'exist'}; nothing was written (--force overwrites)`);
  }
  const scenariosDir = join(project, SCENARIOS_DIR);
  const found = installedSchema(project);
  // Not installed (e.g. run through npx from its cache): point where `npm install --save-dev meshproof` will put it.
  const schema = found ?? join(project, 'node_modules', INSTALLED_SCHEMA);
  const schemaPath = relative(scenariosDir, schema).split(sep).join('/');
  const files: [string, string][] = [
    [STARTER, starterScenario(schemaPath)],
    [WORKFLOW, ciWorkflow(SCENARIOS_DIR)],
  ];
  for (const [file, text] of files) {
    await mkdir(dirname(join(project, file)), { recursive: true });
    await writeFile(join(project, file), text);
  }
  return { written: files.map(([f]) => f), schemaPath, installed: found !== null };
}

/** The schema of the meshproof Node would find from the project: node_modules/meshproof in it or in a parent folder. */
function installedSchema(project: string): string | null {
  for (let d = project; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', INSTALLED_SCHEMA);
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return null;
  }
}

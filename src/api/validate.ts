import { resolve } from 'node:path';
import { MeshproofError, ScenarioInvalidError, type ErrorCode, type ScenarioIssue } from '../errors.ts';
import { loadScenario } from '../scenario/parse-scenario.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { scenarioFiles } from './scenario-files.ts';

export interface ValidateOptions {
  /** Folder that relative paths are read from. @default process.cwd() */
  cwd?: string;
}

/** A file that is a valid scenario. */
export interface ValidScenario {
  /** The path as given (a folder's files as `<folder>/<file>`); absolute when `cwd` was given. */
  file: string;
  name: string;
  description: string;
  services: number;
  expectations: number;
  /** The normalised scenario, every default filled in: what `run` runs. */
  scenario: Scenario;
}

/** Something that keeps a file (or a folder) from being run; nothing is started when there is one. */
export interface ScenarioProblem {
  file: string;
  /** `MESHPROOF_SCENARIO_INVALID` (see `issues`), `MESHPROOF_SCENARIO_UNREADABLE`, or `MESHPROOF_USAGE` (no file; a folder without scenarios). */
  code: ErrorCode;
  /** Ready to print: for an invalid file, one `file:line:col path: message` line per issue. */
  message: string;
  /** Every issue found in the file, in file order, positioned for an editor; empty when it could not be read. */
  issues: ScenarioIssue[];
  /** The error `run` throws for this problem (match on its `code`). */
  error: MeshproofError;
}

export interface ValidateResult {
  /** True when at least one file was given and every one is a valid scenario. */
  valid: boolean;
  scenarios: ValidScenario[];
  problems: ScenarioProblem[];
  /** Valid but probably not what was meant (e.g. a key that has no effect with the rest); never blocks a run. */
  warnings: ScenarioIssue[];
}

/**
Checks scenario files the way `meshproof validate` does, without running anything and without
throwing for what is wrong in them: every problem of every file is in the result. A folder stands
for the `*.yaml` / `*.yml` files directly in it.
*/
export async function validate(files: string | readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  const given = typeof files === 'string' ? [files] : files;
  const { files: paths, emptyFolders } = await scenarioFiles(given, options.cwd);
  const scenarios: ValidScenario[] = [];
  const problems: ScenarioProblem[] = [];
  const warnings: ScenarioIssue[] = [];
  const usage = (file: string, message: string) => {
    const error = new MeshproofError('MESHPROOF_USAGE', message);
    problems.push({ file, code: error.code, message, issues: [], error });
  };
  if (given.length === 0) usage('', 'no scenario file given (e.g. meshproof run scenarios/quickstart.yaml)');
  for (const folder of emptyFolders) usage(folder, `${folder} is a folder without scenario files (*.yaml, *.yml)`);
  // mesh.from reads Kubernetes manifests with meshproof's importer; the scenario parser is given it here.
  const { readMeshFrom } = await import('../k8s/import/mesh-from-reader.ts');
  for (const path of paths) {
    const file = options.cwd === undefined ? path : resolve(options.cwd, path);
    try {
      const scenario = await loadScenario(file, { meshFrom: readMeshFrom, onWarning: (w) => warnings.push(w) });
      scenarios.push({ file, name: scenario.name, description: scenario.description, services: scenario.services.length, expectations: scenario.expect.length, scenario });
    } catch (e) {
      if (!(e instanceof MeshproofError)) throw e;
      const issues = e instanceof ScenarioInvalidError ? e.issues : [];
      problems.push({ file, code: e.code, message: e.message, issues, error: e });
    }
  }
  return { valid: problems.length === 0, scenarios, problems, warnings };
}

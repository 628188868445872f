import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { MeshproofError, ScenarioInvalidError, type ScenarioIssue } from '../errors.ts';
import { checkShape } from './check-shape.ts';
import { normalise } from './normalise.ts';
import type { Scenario } from './scenario.ts';
import { SCENARIO_SHAPE } from './shape.ts';
import { SourceFile } from './source-file.ts';

export interface ScenarioParse {
  /** The normalised scenario, or null when there is at least one issue. */
  scenario: Scenario | null;
  /** Every problem found, in file order. */
  issues: ScenarioIssue[];
  /** Things that are valid but probably not what was meant; they never block a run. */
  warnings: ScenarioIssue[];
}

/**
YAML text in, normalised `Scenario` out, with every problem reported at once. Pure: `file` is only
used in messages. Pipeline: YAML syntax → shape (types, keys, static defaults; shape.ts) → rules
and computed defaults (normalise.ts) → expectation sentences (expectation-parser.ts).
*/
export function parseScenario(text: string, file: string): ScenarioParse {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const source = new SourceFile(file, text, lines);
  // Duplicate keys are reported by the shape walk, with the key's path and the line of the first one.
  const syntax = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY').map((e) => source.issue(e.pos[0], '', yamlMessage(e)));
  const yamlWarnings = doc.warnings.map((w) => source.issue(w.pos[0], '', `YAML: ${w.message}`));
  if (syntax.length > 0) {
    // Past a syntax error the document's structure is a guess; checking it would report phantom problems.
    return { scenario: null, issues: byPosition(syntax), warnings: byPosition(yamlWarnings) };
  }
  if (doc.contents === null) {
    const issue = source.issue(0, '', 'the file is empty; a scenario is a YAML mapping starting with version: 1');
    return { scenario: null, issues: [issue], warnings: [] };
  }
  const checked = checkShape(doc.contents, SCENARIO_SHAPE, source, doc);
  const result = normalise(checked, source);
  return { scenario: result.scenario, issues: byPosition(result.issues), warnings: byPosition([...yamlWarnings, ...result.warnings]) };
}

export interface LoadOptions {
  /** Receives each warning (valid but suspicious input); by default they are dropped. */
  onWarning?: (warning: ScenarioIssue) => void;
}

/**
Reads and parses a scenario file. Throws `ScenarioInvalidError` carrying every issue, or a
`MeshproofError` with code `MESHPROOF_SCENARIO_UNREADABLE` when the file cannot be read.
*/
export async function loadScenario(path: string, options: LoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new MeshproofError('MESHPROOF_SCENARIO_UNREADABLE', `cannot read scenario ${path}: ${readFailure(e)}`, { cause: e });
  }
  const { scenario, issues, warnings } = parseScenario(text, path);
  for (const w of warnings) options.onWarning?.(w);
  if (!scenario) throw new ScenarioInvalidError(issues);
  return scenario;
}

function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (e as Error | null)?.message ?? String(e);
  }
}

function yamlMessage(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return 'YAML syntax: a scenario file holds one YAML document, but a second one starts here (after ---)';
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
    return `YAML syntax: ${e.message}; if this is text containing ": ", put it in quotes (description: "a: b")`;
  }
  return `YAML syntax: ${e.message}`;
}

function byPosition(issues: ScenarioIssue[]): ScenarioIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

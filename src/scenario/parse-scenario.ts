import { open } from 'node:fs/promises';
import { Composer, type Document, Lexer, LineCounter, Parser, YAMLParseError, type YAMLError } from 'yaml';
import { MeshproofError, ScenarioInvalidError, type ScenarioIssue } from '../errors.ts';
import { checkShape } from './check-shape.ts';
import { atMost, formatLimit, LIMITS } from './limits.ts';
import { NestingDepth } from './nesting-depth.ts';
import { applyMeshFrom, relocateIssue, type MeshFromReader } from './mesh-from.ts';
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

export interface ParseOptions {
  /**
  Reads the Kubernetes manifests `mesh.from` names (meshproof's importer, src/k8s). Without one, a
  scenario with `mesh.from` is refused with a message saying so. Default none.
  */
  meshFrom?: MeshFromReader;
}

/**
YAML text in, normalised `Scenario` out, with every problem reported at once. Pure but for
`options.meshFrom`, which reads the manifests `mesh.from` names: `file` is only used in messages
(and to find those manifests). Pipeline: YAML syntax → `mesh.from` merged under `mesh`
(mesh-from.ts) → shape (types, keys, static defaults; shape.ts) → rules and computed defaults
(normalise.ts) → expectation sentences (expectation-parser.ts).
*/
export function parseScenario(text: string, file: string, options: ParseOptions = {}): ScenarioParse {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.fileSize.max) return { scenario: null, issues: [fileTooBig(text, file, `${bytes} bytes`)], warnings: [] };
  const lines = new LineCounter();
  const read = readYaml(text, lines);
  const source = new SourceFile(file, text, lines);
  if (typeof read === 'number') {
    const message = `found mappings and lists nested more than ${LIMITS.depth.max} levels deep; ${atMost(LIMITS.depth)}`;
    return { scenario: null, issues: [source.issue(read, '', message)], warnings: [] };
  }
  const doc = read;
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
  const imported = applyMeshFrom(doc, source, options.meshFrom);
  const checked = checkShape(doc.contents, SCENARIO_SHAPE, source, doc);
  const result = normalise(checked, source);
  // An issue about an imported value is reported at the manifest line that holds it.
  const issues = [...imported.issues, ...result.issues.map((i) => relocateIssue(i, imported.imported))];
  const warnings = [...yamlWarnings, ...imported.warnings, ...result.warnings.map((w) => relocateIssue(w, imported.imported))];
  const scenario = issues.length === 0 ? result.scenario : null;
  if (scenario && imported.record) scenario.meshImport = imported.record;
  return { scenario, issues: byPosition(issues, file), warnings: byPosition(warnings, file) };
}

/**
The text as one YAML document, as the yaml library's parseDocument reads it (merge keys on, a key
at most once), but with the nesting watched between its lexer and its parser: past the nesting limit
it stops and returns the offset where it went too deep, before the document is built (building it
recurses once per level). Lexed once either way.
*/
function readYaml(text: string, lines: LineCounter): Document.Parsed | number {
  lines.addNewLine(0);
  const parser = new Parser(lines.addNewLine);
  const depth = new NestingDepth(LIMITS.depth.max);
  const tokens = [];
  for (const lexeme of new Lexer().lex(text)) {
    const tooDeep = depth.next(lexeme);
    if (tooDeep !== null) return tooDeep;
    for (const token of parser.next(lexeme)) tokens.push(token);
  }
  for (const token of parser.end()) tokens.push(token);
  let doc: Document.Parsed | null = null;
  for (const next of new Composer({ prettyErrors: false, uniqueKeys: true, merge: true }).compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  // compose(…, true) always ends with a document, an empty one for an empty text.
  return doc!;
}

export interface LoadOptions extends ParseOptions {
  /** Receives each warning (valid but suspicious input); by default they are dropped. */
  onWarning?: (warning: ScenarioIssue) => void;
}

/**
Reads and parses a scenario file. Throws `ScenarioInvalidError` carrying every issue, or a
`MeshproofError` with code `MESHPROOF_SCENARIO_UNREADABLE` when the file cannot be read.
*/
export async function loadScenario(path: string, options: LoadOptions = {}): Promise<Scenario> {
  let read: { text: string; size: string | null };
  try {
    read = await readBounded(path, LIMITS.fileSize.max);
  } catch (e) {
    throw new MeshproofError('MESHPROOF_SCENARIO_UNREADABLE', `cannot read scenario ${path}: ${readFailure(e)}`, { cause: e });
  }
  if (read.size !== null) throw new ScenarioInvalidError([fileTooBig(read.text, path, read.size)]);
  const { scenario, issues, warnings } = parseScenario(read.text, path, { meshFrom: options.meshFrom });
  for (const w of warnings) options.onWarning?.(w);
  if (!scenario) throw new ScenarioInvalidError(issues);
  return scenario;
}

/**
A file's text, read no further than `max` bytes plus one: a 2 GB file, or /dev/zero, is refused after
reading 1 MiB of it rather than read whole. `size` is null when the file fits, else its size in words.
*/
async function readBounded(path: string, max: number): Promise<{ text: string; size: string | null }> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const text = buffer.subarray(0, length).toString('utf8');
    if (length <= max) return { text, size: null };
    return { text, size: stat.isFile() && stat.size > max ? `${stat.size} bytes` : `more than ${max} bytes` };
  } finally {
    await handle.close();
  }
}

/** The file-size issue, positioned where the file passes the limit. */
function fileTooBig(text: string, file: string, size: string): ScenarioIssue {
  const head = Buffer.from(text, 'utf8').subarray(0, LIMITS.fileSize.max).toString('utf8');
  const lines = linesOf(head);
  const message = `found a file of ${size} (it passes ${formatLimit(LIMITS.fileSize)} here); ${atMost(LIMITS.fileSize)}`;
  return new SourceFile(file, head, lines).issue(head.length, '', message);
}

/** Line starts of a text the YAML reader has not read (it is refused before that). */
function linesOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
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

/** In file order; issues in the scenario before those in the manifests it imports. */
function byPosition(issues: ScenarioIssue[], file = ''): ScenarioIssue[] {
  const rank = (i: ScenarioIssue) => (i.file === file ? '' : i.file);
  return [...issues].sort((a, b) => rank(a).localeCompare(rank(b)) || a.line - b.line || a.col - b.col);
}

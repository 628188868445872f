/**
Every error meshproof raises on purpose is a MeshproofError with a stable `code`. Match on the code,
not the message. Only the CLI turns them into exit codes (see `exitCodeFor`).
*/
export type ErrorCode =
  | 'MESHPROOF_SCENARIO_INVALID'
  | 'MESHPROOF_SCENARIO_UNREADABLE'
  | 'MESHPROOF_RUNTIME_START_FAILED'
  | 'MESHPROOF_RUNTIME_UNAVAILABLE'
  | 'MESHPROOF_LOAD_FAILED'
  | 'MESHPROOF_INTERRUPTED'
  | 'MESHPROOF_USAGE'
  | 'MESHPROOF_REPORT_FAILED'
  | 'MESHPROOF_FAULT_INJECTION_FAILED'
  | 'MESHPROOF_FILE_EXISTS'
  | 'MESHPROOF_INTERNAL';

export class MeshproofError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeshproofError';
    this.code = code;
  }
}

/** One problem found in a scenario file, positioned for an editor. */
export interface ScenarioIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path in the document, e.g. `mesh.payments.retries.attempts`. */
  path: string;
  message: string;
}

/** A scenario failed to parse or validate; carries every issue found, not just the first. */
export class ScenarioInvalidError extends MeshproofError {
  readonly issues: ScenarioIssue[];
  constructor(issues: ScenarioIssue[]) {
    super('MESHPROOF_SCENARIO_INVALID', formatIssues(issues));
    this.name = 'ScenarioInvalidError';
    this.issues = issues;
  }
}

export function formatIssues(issues: ScenarioIssue[]): string {
  const n = issues.length;
  const head = `${n} problem${n === 1 ? '' : 's'} in ${issues[0]?.file ?? 'scenario'}:`;
  return [head, ...issues.map((i) => `  ${i.file}:${i.line}:${i.col} ${i.path ? i.path + ': ' : ''}${i.message}`)].join('\n');
}

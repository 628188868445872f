import type { LineCounter } from 'yaml';
import type { ScenarioIssue } from '../errors.ts';

/**
A scenario's text and how to turn source offsets into editor positions. Issues are made here so that
every one carries the file, a 1-based line and column, and its dotted path.
*/
export class SourceFile {
  readonly file: string;
  readonly text: string;
  readonly lines: LineCounter;

  constructor(file: string, text: string, lines: LineCounter) {
    this.file = file;
    this.text = text;
    this.lines = lines;
  }

  position(offset: number): { line: number; col: number } {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line, col };
  }

  issue(offset: number, path: string, message: string): ScenarioIssue {
    return { file: this.file, ...this.position(offset), path, message };
  }
}

/** `load` + `target` → `load.target`; the root's children have no leading dot. */
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

import type { ScenarioIssue } from '../errors.ts';
import type { ShapeCheck } from './check-shape.ts';
import type { SourceFile } from './source-file.ts';

/**
What every rule of the normaliser needs: the shape check's positions, and the lists issues and
warnings go into. Shared by the parts of the normaliser (services, mesh, faults, expectations), so
each positions its messages the same way.
*/
export class RuleContext {
  readonly issues: ScenarioIssue[] = [];
  readonly warnings: ScenarioIssue[] = [];
  readonly checked: ShapeCheck;
  readonly source: SourceFile;

  constructor(checked: ShapeCheck, source: SourceFile) {
    this.checked = checked;
    this.source = source;
  }

  /** Offset of a path's value, else of its key, else of the nearest ancestor written in the file. */
  offset(path: string): number {
    for (let p = path; ; p = parentPath(p)) {
      const at = this.checked.at.get(p) ?? this.checked.keyAt.get(p);
      if (at !== undefined) return at;
      if (p === '') return 0;
    }
  }

  /** An issue at the path's value (or at its key with `atKey`). */
  error(path: string, message: string, atKey = false): void {
    this.issues.push(this.source.issue(this.#at(path, atKey), path, message));
  }

  warn(path: string, message: string, atKey = false): void {
    this.warnings.push(this.source.issue(this.#at(path, atKey), path, message));
  }

  /** Whether the key at this path is written in the file (as opposed to filled from a default). */
  given(path: string): boolean {
    return this.checked.keyAt.has(path);
  }

  /** 1-based line of a path's key or value. */
  line(path: string): number {
    return this.source.position(this.#at(path, true)).line;
  }

  #at(path: string, atKey: boolean): number {
    return atKey ? (this.checked.keyAt.get(path) ?? this.offset(path)) : this.offset(path);
  }
}

export function parentPath(path: string): string {
  if (path.endsWith(']')) return path.slice(0, path.lastIndexOf('['));
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}

/** How many lines of a program's output a start-up failure shows. */
export const FAILURE_TAIL_LINES = 20;

/** Longest line kept whole; a program that writes megabytes without a newline is cut into lines this long. */
const MAX_LINE = 8192;

/**
A program's output cut into lines as it arrives: each complete line goes to `onLine` (for a `log:`
readiness check), and the last `keep` lines are kept for a failure message. Chunks may split a line
(or a UTF-8 character: feed decoded text) anywhere.
*/
export class OutputTail {
  private readonly keep: number;
  private readonly onLine: ((line: string) => void) | null;
  private readonly lines: string[] = [];
  private partial = '';

  constructor(options: { keep?: number; onLine?: (line: string) => void } = {}) {
    this.keep = options.keep ?? FAILURE_TAIL_LINES;
    this.onLine = options.onLine ?? null;
  }

  feed(text: string): void {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.line(this.partial + text.slice(from, nl));
      this.partial = '';
      from = nl + 1;
    }
    this.partial += text.slice(from);
    while (this.partial.length > MAX_LINE) {
      this.line(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  /** The output ended: a last line without a newline counts. */
  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The last lines, oldest first, with a line still being written at the end. */
  tail(): string[] {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return all.slice(-this.keep);
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    this.onLine?.(line);
  }
}

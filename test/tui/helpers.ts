import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { renderToString } from 'ink';
import { h } from '../../src/tui/components/h.ts';
import { LiveApp } from '../../src/tui/live-app.ts';
import { initialState, reduce, type RunViewState } from '../../src/tui/state/run-view-state.ts';
import type { RunEvent } from '../../src/events.ts';
import { outlierScenario } from './fixtures.ts';

/** The state after some events of the outlier scenario. */
export function stateAfter(events: readonly RunEvent[], scenario = outlierScenario()): RunViewState {
  return events.reduce((s, e) => reduce(s, e), initialState(scenario));
}

/** The whole app at a size, as text (no key handling: for layout checks). */
export function frameOf(state: RunViewState, columns: number, rows: number): string {
  return renderToString(h(LiveApp, { state, columns, rows, color: false, onQuit: () => {} }), { columns });
}

/** Lines of a frame, without escape sequences. */
export function frameLines(frame: string | undefined): string[] {
  return stripVTControlCharacters(frame ?? '').split('\n');
}

/**
Cells a line takes. The view uses only narrow characters, so that is one per code point; a wide
character (emoji presentation, CJK) would break the count, so its presence fails the check instead.
*/
export function cellWidth(line: string): number {
  assert.doesNotMatch(line, /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u, `wide character in ${JSON.stringify(line)}`);
  return [...line].length;
}

/** The frame fits the terminal: at most `rows` lines, none wider than `columns` cells. */
export function assertFits(frame: string | undefined, columns: number, rows: number): void {
  const lines = frameLines(frame);
  assert.ok(lines.length <= rows, `${lines.length} lines on a ${rows}-row terminal:\n${lines.join('\n')}`);
  for (const [i, l] of lines.entries()) {
    assert.ok(cellWidth(l) <= columns, `line ${i + 1} is ${cellWidth(l)} cells wide on a ${columns}-column terminal: ${JSON.stringify(l)}`);
  }
}

/** A terminal for `startLiveView`: records writes, has a size, emits `resize`. */
export class FakeStdout extends EventEmitter {
  isTTY = true;
  columns: number;
  rows: number;
  readonly writes: string[] = [];
  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  /** As a stream does, calls back once written: Ink waits for an empty write's callback before `waitUntilExit` resolves. */
  write = (chunk: string, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    if (chunk !== '') this.writes.push(chunk);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
  /** The last frame written whole (debug mode writes each frame whole); unmounting's bare newline and cursor codes are not frames. */
  lastFrame(): string {
    for (let i = this.writes.length - 1; i >= 0; i--) if (stripVTControlCharacters(this.writes[i]).trim() !== '') return this.writes[i];
    return '';
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

/** Keys for `startLiveView`, as ink-testing-library's stdin does it (readable + read). */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  escape: '\u001B',
  enter: '\r',
};

/** Lets Ink handle input and commit a render. */
export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check` passes (or fails after `timeoutMs` with its last error). */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await settle(20);
    }
  }
}

import { Text } from 'ink';
import type { ReactElement } from 'react';
import type { Tone } from '../state/run-view-state.ts';
import { h } from './h.ts';

/** A piece of a line with how it reads: its tone (colour, when colours are on), and emphasis. */
export interface Seg {
  readonly text: string;
  readonly tone?: Tone | 'accent' | 'select';
  readonly bold?: boolean;
  /** Shown in reverse video: the selection. Not a colour, so it stays under NO_COLOR. */
  readonly inverse?: boolean;
}

/**
Colour for a tone. Colour never carries meaning alone: every toned piece of text also has a word or
symbol (✔ held, ⊘ ejected, ● active), so the view reads the same in monochrome (NO_COLOR).
*/
const TONE_COLOR: Record<string, string | undefined> = {
  info: undefined,
  ok: 'green',
  warn: 'yellow',
  bad: 'red',
  fault: 'magenta',
  accent: 'cyan',
  select: undefined,
  dim: undefined,
};

export interface LineProps {
  readonly segs: readonly Seg[];
  /** Colours on (off under NO_COLOR). Dim, bold and reverse video stay either way. */
  readonly color: boolean;
}

/** One row of the screen, cut at the container's width (never wrapped, so the layout's row count holds). */
export function Line(props: LineProps): ReactElement {
  const { segs, color } = props;
  return h(
    Text,
    { wrap: 'truncate-end' },
    ...segs.map((s, i) =>
      h(
        Text,
        {
          key: i,
          color: color && s.tone ? TONE_COLOR[s.tone] : undefined,
          dimColor: s.tone === 'dim',
          bold: s.bold,
          inverse: s.inverse,
        },
        s.text,
      ),
    ),
  );
}

/** Plain text of a line (for measuring, and for tests). */
export function plain(segs: readonly Seg[]): string {
  return segs.map((s) => s.text).join('');
}

/** Rows stacked, each its own line, in a box of the given width. */
export function lines(rows: readonly (readonly Seg[])[], color: boolean): ReactElement[] {
  return rows.map((segs, i) => h(Line, { key: i, segs, color }));
}

import { cells, clip } from '../format.ts';
import type { Seg } from './line.ts';

/** Total cells of some segments. */
export function segWidth(segs: readonly Seg[]): number {
  return segs.reduce((a, s) => a + cells(s.text), 0);
}

/** Segments cut to `width` cells (the last one cut ends with an ellipsis) and padded with spaces to exactly `width`. */
export function fitSegs(segs: readonly Seg[], width: number): Seg[] {
  const out: Seg[] = [];
  let left = width;
  const total = segWidth(segs);
  for (const s of segs) {
    if (left <= 0) break;
    const w = cells(s.text);
    if (w <= left && !(total > width && w === left && out.length < segs.length - 1)) {
      out.push(s);
      left -= w;
    } else {
      out.push({ ...s, text: clip(s.text + ' ', left) });
      left = 0;
    }
  }
  if (left > 0) out.push({ text: ' '.repeat(left) });
  return out;
}

/** Segments right-aligned in `width` cells (cut from the left side's end when too long). */
export function rightSegs(segs: readonly Seg[], width: number): Seg[] {
  const w = segWidth(segs);
  if (w >= width) return fitSegs(segs, width);
  return [{ text: ' '.repeat(width - w) }, ...segs];
}

/** A row made of a left part and a right part that fills `width`: the left part is cut first. */
export function spread(left: readonly Seg[], right: readonly Seg[], width: number): Seg[] {
  const rw = segWidth(right);
  if (rw >= width) return fitSegs(right, width);
  return [...fitSegs(left, width - rw), ...right];
}

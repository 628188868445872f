import { Lexer } from 'yaml';

/** The lexer's markers that stand for no source text (document start, scalar, end of a broken flow collection). */
const MARKERS = new Set(['\u0002', '\u001f', '\u0018']);

/**
Where a YAML text first nests deeper than `max` levels (mappings and lists inside each other), as a
source offset, or null. It reads the lexer's tokens and stops at the first level too deep, so a file
of 100 000 opening brackets is refused after reading 65 of them: the yaml library's reader recurses
once per level and runs out of stack at about 800, and its tree builder slows down well before.

Flow collections (`[`, `{`) count exactly. Block collections are counted from indentation: each line
(or `- ` / `? ` indicator) that starts further right than the one holding it is one level deeper. That
can miss a level where a list sits at its key's own column, so it never counts more than there is.
*/
export function nestingTooDeep(text: string, max: number): number | null {
  let offset = 0;
  let lineStart = 0;
  let firstOnLine = true;
  let flow = 0;
  const columns: number[] = [];
  for (const token of new Lexer().lex(text)) {
    if (MARKERS.has(token)) continue;
    const at = offset;
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    if (nl >= 0) {
      // A newline, or a token spanning lines (a block scalar's text, a quoted scalar): the next token is on a new line.
      lineStart = at + nl + 1;
      firstOnLine = nl === token.length - 1;
      continue;
    }
    const c = token[0];
    if (c === '[' || c === '{') {
      if (token.length === 1 && ++flow + columns.length > max) return at;
      firstOnLine = false;
      continue;
    }
    if (c === ']' || c === '}') {
      if (token.length === 1 && flow > 0) flow--;
      firstOnLine = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '#') continue;
    if (flow > 0) continue;
    const col = at - lineStart;
    const indicator = token === '-' || token === '?';
    if (firstOnLine) {
      while (columns.length > 0 && columns[columns.length - 1] > col) columns.pop();
    }
    if ((firstOnLine || indicator) && (columns.length === 0 || columns[columns.length - 1] < col)) {
      columns.push(col);
      if (columns.length > max) return at;
    }
    firstOnLine = false;
  }
  return null;
}

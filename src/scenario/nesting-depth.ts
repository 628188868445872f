/** The lexer's markers that stand for no source text (document start, scalar, end of a broken flow collection). */
const MARKERS = new Set(['\u0002', '\u001f', '\u0018']);

/**
Follows the yaml library's lexer tokens and says where a text first nests deeper than `max` levels
(mappings and lists inside each other). It sits between the lexer and the parser, so a file of
100 000 opening brackets is refused at the 65th level, before the yaml library's tree builder (whose
composer recurses once per level and runs out of stack at about 800) ever sees it.

Flow collections (`[`, `{`) count exactly. Block collections are counted from indentation: each line
(or `- ` / `? ` indicator) that starts further right than the one holding it is one level deeper. That
can miss a level where a list sits at its key's own column, so it never counts more than there is.
*/
export class NestingDepth {
  readonly #max: number;
  #offset = 0;
  #lineStart = 0;
  #firstOnLine = true;
  #flow = 0;
  readonly #columns: number[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes the next lexer token; returns the source offset where the nesting went too deep, else null. */
  next(token: string): number | null {
    if (MARKERS.has(token)) return null;
    const at = this.#offset;
    this.#offset += token.length;
    const nl = token.lastIndexOf('\n');
    if (nl >= 0) {
      // A newline, or a token spanning lines (a block scalar's text, a quoted scalar): the next token
      // starts a line only when this one ended with its newline.
      this.#lineStart = at + nl + 1;
      this.#firstOnLine = nl === token.length - 1;
      return null;
    }
    const c = token[0];
    if (token.length === 1 && (c === '[' || c === '{')) {
      this.#firstOnLine = false;
      return ++this.#flow + this.#columns.length > this.#max ? at : null;
    }
    if (token.length === 1 && (c === ']' || c === '}')) {
      if (this.#flow > 0) this.#flow--;
      this.#firstOnLine = false;
      return null;
    }
    if (c === ' ' || c === '\t' || c === '#' || this.#flow > 0) return null;
    const col = at - this.#lineStart;
    const columns = this.#columns;
    if (this.#firstOnLine) {
      while (columns.length > 0 && columns[columns.length - 1] > col) columns.pop();
    }
    const indicator = token === '-' || token === '?';
    const deeper = (this.#firstOnLine || indicator) && (columns.length === 0 || columns[columns.length - 1] < col);
    this.#firstOnLine = false;
    if (!deeper) return null;
    columns.push(col);
    return columns.length + this.#flow > this.#max ? at : null;
  }
}

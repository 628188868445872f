/**
The words of an expectation sentence. Kept apart from the parser so later forms (`p1.start`,
`from +3s`, `recovered(client, success_rate >= 99.9%)`) only add token kinds the grammar already
splits on: `.`, `+` and `,` are tokens today even though v1 has no use for them.
*/
export type TokenKind = 'word' | 'quantity' | 'op' | 'arrow' | '(' | ')' | ',' | '.' | '+' | 'end' | 'bad';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the sentence. */
  start: number;
  end: number;
}

/** Names: services and instances have inner hyphens (store-1), but `-` before `>` starts an arrow (a->b). */
const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:-(?!>)[A-Za-z0-9_]+)*/y;
/** A number with its unit glued on: 3, 99.5%, 250ms, 1m30s, 200/s, 200rps. A leading - is kept to say "cannot be negative". */
const QUANTITY = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:\s*%|\/[A-Za-z]+|[A-Za-zµ]+(?:(?:\d+(?:\.\d+)?|\.\d+)[A-Za-zµ]+)*)?/y;
const OP = /<=|>=|==|!=|<|>|=/y;
const SINGLE: Record<string, TokenKind> = { '(': '(', ')': ')', ',': ',', '.': '.', '+': '+' };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const take = (re: RegExp, kind: TokenKind): boolean => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || m[0].length === 0) return false;
    tokens.push({ kind, text: m[0], start: at, end: at + m[0].length });
    at += m[0].length;
    return true;
  };
  while (at < text.length) {
    const c = text[at];
    if (/\s/.test(c)) {
      at++;
      continue;
    }
    if (text.startsWith('->', at)) {
      tokens.push({ kind: 'arrow', text: '->', start: at, end: at + 2 });
      at += 2;
      continue;
    }
    if (take(WORD, 'word') || take(QUANTITY, 'quantity') || take(OP, 'op')) continue;
    const kind = SINGLE[c] ?? 'bad';
    tokens.push({ kind, text: c, start: at, end: at + 1 });
    at++;
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

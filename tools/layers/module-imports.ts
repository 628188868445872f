/**
The modules a TypeScript source names: `import … from`, `import type … from`, `export … from`,
side-effect `import '…'`, `import('…')` (a dynamic import, or a type written as `import('…').T`)
and `require('…')`. A small lexer rather than a regular expression over the text, so that a
specifier-shaped string inside a comment, a string, a template or a regular expression is not taken
for an import.
*/
export interface ModuleImport {
  /** The specifier as written; null for `import(expr)` whose specifier is computed. */
  specifier: string | null;
  kind: 'import' | 'import type' | 'export from' | 'import()' | 'require';
  /** 1-based line of the specifier (of `import` for a computed one). */
  line: number;
}

type Token =
  | { t: 'id'; v: string; line: number }
  | { t: 'str'; v: string; line: number }
  | { t: 'punct'; v: string; line: number }
  | { t: 'other'; line: number };

// After these a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORDS = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

export function moduleImports(source: string): ModuleImport[] {
  return importsOf(tokenize(source));
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // One entry per open template literal: the `{` depth at which its current `${` began.
  const templates: number[] = [];
  let braces = 0;
  let line = 1;
  let i = 0;
  const n = src.length;

  const regexAllowed = (): boolean => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.t === 'str' || prev.t === 'other') return false;
    if (prev.t === 'id') return REGEX_AFTER_WORDS.has(prev.v);
    return prev.v !== ')' && prev.v !== ']';
  };

  const skipString = (quote: string): string => {
    let value = '';
    i++;
    while (i < n && src[i] !== quote) {
      if (src[i] === '\\') {
        value += src[i + 1] ?? '';
        if (src[i + 1] === '\n') line++;
        i += 2;
        continue;
      }
      if (src[i] === '\n') line++;
      value += src[i];
      i++;
    }
    i++;
    return value;
  };

  // Reads template text up to its end (returns true) or to a `${` (returns false).
  const templateText = (): boolean => {
    while (i < n) {
      const c = src[i];
      if (c === '\\') {
        if (src[i + 1] === '\n') line++;
        i += 2;
      } else if (c === '`') {
        i++;
        return true;
      } else if (c === '$' && src[i + 1] === '{') {
        i += 2;
        return false;
      } else {
        if (c === '\n') line++;
        i++;
      }
    }
    return true;
  };

  const startTemplate = (): void => {
    const startLine = line;
    if (templateText()) {
      tokens.push({ t: 'other', line: startLine });
    } else {
      templates.push(braces);
      braces++;
      tokens.push({ t: 'punct', v: '(', line: startLine });
    }
  };

  while (i < n) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\ufeff') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
    } else if (c === '#' && i === 0 && src[1] === '!') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      tokens.push({ t: 'str', v: skipString(c), line: startLine });
    } else if (c === '`') {
      i++;
      startTemplate();
    } else if (c === '}' && templates.length > 0 && templates.at(-1) === braces - 1) {
      // The end of a `${…}`: the template goes on.
      braces--;
      templates.pop();
      i++;
      const startLine = line;
      if (!templateText()) {
        templates.push(braces);
        braces++;
      }
      tokens.push({ t: 'punct', v: ')', line: startLine });
    } else if (c === '/' && regexAllowed()) {
      const startLine = line;
      let inClass = false;
      i++;
      while (i < n && src[i] !== '\n') {
        const r = src[i];
        if (r === '\\') i += 2;
        else if (r === '[') (inClass = true), i++;
        else if (r === ']') (inClass = false), i++;
        else if (r === '/' && !inClass) break;
        else i++;
      }
      i++;
      while (i < n && /[A-Za-z]/.test(src[i])) i++;
      tokens.push({ t: 'other', line: startLine });
    } else if (/[A-Za-z_$#\u0080-\uffff]/.test(c)) {
      const start = i;
      i++;
      while (i < n && /[\w$\u0080-\uffff]/.test(src[i])) i++;
      tokens.push({ t: 'id', v: src.slice(start, i), line });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i++;
      while (i < n && /[\w.]/.test(src[i])) i++;
      tokens.push({ t: 'other', line });
    } else {
      if (c === '{') braces++;
      else if (c === '}') braces--;
      // `x++ / y` and `x-- / y` divide: treat the postfix operator as the end of an operand.
      if ((c === '+' || c === '-') && src[i + 1] === c) {
        tokens.push({ t: 'other', line });
        i += 2;
        continue;
      }
      tokens.push({ t: 'punct', v: c, line });
      i++;
    }
  }
  return tokens;
}

function importsOf(tokens: Token[]): ModuleImport[] {
  const found: ModuleImport[] = [];
  // The keyword that began the current import/export statement, and whether it imports only types.
  let statement: { kind: 'import' | 'import type' | 'export from'; at: number } | null = null;
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k];
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    const afterDot = prev?.t === 'punct' && prev.v === '.';
    if (tok.t === 'punct' && tok.v === ';') statement = null;
    if (tok.t !== 'id' || afterDot) continue;
    if (tok.v === 'import') {
      if (next?.t === 'punct' && next.v === '(') {
        const arg = tokens[k + 2];
        const close = tokens[k + 3];
        const literal = arg?.t === 'str' && close?.t === 'punct' && close.v === ')';
        found.push({ specifier: literal ? arg.v : null, kind: 'import()', line: literal ? arg.line : tok.line });
      } else if (next?.t === 'str') {
        found.push({ specifier: next.v, kind: 'import', line: next.line });
      } else if (!(next?.t === 'punct' && next.v === '.')) {
        const typeOnly = next?.t === 'id' && next.v === 'type' && !isFromAt(tokens, k + 2) && !isCommaAt(tokens, k + 2);
        statement = { kind: typeOnly ? 'import type' : 'import', at: k };
      }
    } else if (tok.v === 'export') {
      statement = { kind: 'export from', at: k };
    } else if (tok.v === 'from' && next?.t === 'str' && statement) {
      found.push({ specifier: next.v, kind: statement.kind, line: next.line });
      statement = null;
    } else if (tok.v === 'require' && next?.t === 'punct' && next.v === '(' && tokens[k + 2]?.t === 'str') {
      const arg = tokens[k + 2] as { v: string; line: number };
      found.push({ specifier: arg.v, kind: 'require', line: arg.line });
    }
  }
  return found;
}

function isFromAt(tokens: Token[], k: number): boolean {
  const tok = tokens[k];
  return tok?.t === 'id' && tok.v === 'from';
}

function isCommaAt(tokens: Token[], k: number): boolean {
  const tok = tokens[k];
  return tok?.t === 'punct' && tok.v === ',';
}

/**
A deliberately small, strict XML reader for asserting on the JUnit output: elements, attributes and
text, with the five predefined entities and character references. Throws on anything a real parser
would reject that our output could plausibly get wrong: unbalanced tags, a raw `<` or a bare `&`,
unquoted or duplicate attributes, characters XML 1.0 forbids.
*/
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, where: string): string {
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(s)) throw new Error(`forbidden character in ${where}`);
  return s.replace(/&([^;\s]*);?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & in ${where}: ${JSON.stringify(s.slice(0, 80))}`);
    if (ref in ENTITY) return ENTITY[ref];
    const n = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : ref.startsWith('#') ? parseInt(ref.slice(1), 10) : NaN;
    if (Number.isNaN(n)) throw new Error(`unknown entity &${ref}; in ${where}`);
    return String.fromCodePoint(n);
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml [^?]*\?>\s*/.exec(xml);
  if (decl) i = decl[0].length;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const chunk = xml.slice(i, lt === -1 ? xml.length : lt);
    if (chunk.includes('>') && chunk.includes(']]>')) throw new Error(']]> in text');
    stack[stack.length - 1].text += decode(chunk, `text of <${stack[stack.length - 1].name}>`);
    if (lt === -1) break;
    const gt = xml.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const open = stack.pop()!;
      if (open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*$/.exec(body);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    const el: XmlElement = { name: m[1], attrs: {}, children: [], text: '' };
    for (const a of m[2].matchAll(/([A-Za-z_][\w.-]*)="([^"<]*)"/g)) {
      if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      el.attrs[a[1]] = decode(a[2], `attribute ${a[1]}`);
    }
    stack[stack.length - 1].children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.text.trim() !== '' || root.children.length !== 1) throw new Error('a document has exactly one root element');
  return root.children[0];
}

export function all(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

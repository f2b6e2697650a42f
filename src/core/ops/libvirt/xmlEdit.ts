/**
 * Edits of libvirt XML that keep everything they do not own, byte for byte: the text is cut into
 * elements with their offsets (no parse-and-rebuild, which would re-quote, re-order or drop what
 * it does not understand: metadata in foreign namespaces, comments, CDATA), and an edit splices
 * only the attribute or element it changes. libvirt writes well-formed XML; anything else is
 * refused with an error rather than guessed at.
 */

export interface XmlAttr {
  name: string;
  value: string;
  /** Offsets of the value between its quotes. */
  valueStart: number;
  valueEnd: number;
}

export interface XmlElement {
  name: string;
  /** Offset of `<`. */
  start: number;
  /** Offset just after the start tag's `>`. */
  openEnd: number;
  /** Offset of the end tag's `<` (equals openEnd - 2 for `<x/>`: there is none). */
  closeStart: number;
  /** Offset just after the element's last `>`. */
  end: number;
  selfClosing: boolean;
  attrs: XmlAttr[];
  children: XmlElement[];
  parent: XmlElement | null;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function unescape(v: string): string {
  return v.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    }
  });
}

/** An attribute value as libvirt writes it: single-quoted, with the five entities escaped. */
export function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

export class XmlSyntaxError extends Error {}

/** The element tree of `xml` (its one root element). */
export function parseXmlTree(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  const fail = (why: string): never => {
    throw new XmlSyntaxError(`not well-formed XML at offset ${i}: ${why}`);
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const e = xml.indexOf('-->', i + 4);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const e = xml.indexOf(']]>', i + 9);
      if (e < 0) fail('unterminated CDATA');
      i = e + 3;
      continue;
    }
    if (xml.startsWith('<?', i) || xml.startsWith('<!', i)) {
      const e = xml.indexOf('>', i);
      if (e < 0) fail('unterminated declaration');
      i = e + 1;
      continue;
    }
    if (xml.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(xml);
      const top = stack.pop();
      if (!m || !top || top.name !== m[0]) fail(`unexpected end tag ${m?.[0] ?? ''}`);
      const e = xml.indexOf('>', i);
      if (e < 0) fail('unterminated end tag');
      top!.closeStart = i;
      top!.end = e + 1;
      i = e + 1;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(xml);
    if (!m) fail('a tag without a name');
    const el: XmlElement = {
      name: m![0],
      start: i,
      openEnd: 0,
      closeStart: 0,
      end: 0,
      selfClosing: false,
      attrs: [],
      children: [],
      parent: stack.at(-1) ?? null,
    };
    let j = NAME.lastIndex;
    for (;;) {
      while (/\s/.test(xml[j] ?? '')) j++;
      if (xml.startsWith('/>', j)) {
        el.selfClosing = true;
        el.openEnd = j + 2;
        el.closeStart = j;
        el.end = j + 2;
        break;
      }
      if (xml[j] === '>') {
        el.openEnd = j + 1;
        break;
      }
      NAME.lastIndex = j;
      const an = NAME.exec(xml);
      if (!an) fail(`a bad attribute in <${el.name}>`);
      j = NAME.lastIndex;
      while (/\s/.test(xml[j] ?? '')) j++;
      if (xml[j] !== '=') fail(`attribute ${an![0]} without a value`);
      j++;
      while (/\s/.test(xml[j] ?? '')) j++;
      const q = xml[j];
      if (q !== "'" && q !== '"') fail(`attribute ${an![0]} not quoted`);
      const close = xml.indexOf(q!, j + 1);
      if (close < 0) fail(`attribute ${an![0]} not closed`);
      el.attrs.push({ name: an![0], value: unescape(xml.slice(j + 1, close)), valueStart: j + 1, valueEnd: close });
      j = close + 1;
    }
    if (el.parent) el.parent.children.push(el);
    else if (root) fail('a second root element');
    else root = el;
    if (!el.selfClosing) stack.push(el);
    i = el.openEnd;
  }
  if (stack.length) fail(`<${stack.at(-1)!.name}> is not closed`);
  if (!root) fail('no root element');
  return root!;
}

export function attr(el: XmlElement, name: string): string | null {
  return el.attrs.find((a) => a.name === name)?.value ?? null;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** One splice of the text: replace [from, to) with `text`. */
interface Splice {
  from: number;
  to: number;
  text: string;
}

/**
 * A set of edits of one XML text, applied together (offsets always refer to the original text,
 * so edits do not move each other). Overlapping edits are a programming error and throw.
 */
export class XmlEdit {
  private readonly splices: Splice[] = [];

  constructor(readonly xml: string) {}

  /** Sets (or adds) an attribute; the other attributes and their quoting stay as they were. */
  setAttr(el: XmlElement, name: string, value: string): this {
    const a = el.attrs.find((x) => x.name === name);
    // Both quote characters escaped: valid inside either kind of quotes.
    if (a) return this.splice(a.valueStart, a.valueEnd, escapeAttr(value));
    const at = el.selfClosing ? el.closeStart : el.openEnd - 1;
    // `<mac address='x'/>`: a new attribute goes before `/>` or `>`, after any space there.
    let p = at;
    while (p > el.start && /\s/.test(this.xml[p - 1] ?? '')) p--;
    return this.splice(p, p, ` ${name}='${escapeAttr(value)}'`);
  }

  /** Replaces a whole element (start tag to end tag) with `text`. */
  replace(el: XmlElement, text: string): this {
    return this.splice(el.start, el.end, text);
  }

  /** Removes an element and the line it stood on, when it stood alone on it. */
  remove(el: XmlElement): this {
    let from = el.start;
    let to = el.end;
    let s = from;
    while (s > 0 && (this.xml[s - 1] === ' ' || this.xml[s - 1] === '\t')) s--;
    if (s === 0 || this.xml[s - 1] === '\n') {
      let e = to;
      while (this.xml[e] === ' ' || this.xml[e] === '\t') e++;
      if (this.xml[e] === '\n') {
        from = s;
        to = e + 1;
      }
    }
    return this.splice(from, to, '');
  }

  /**
   * Adds `text` (one element) as the last child of `parent`, indented like its siblings (or two
   * spaces deeper than the parent), after `after` when given.
   */
  append(parent: XmlElement, text: string, after?: XmlElement): this {
    const lineStart = (off: number) => this.xml.lastIndexOf('\n', off - 1) + 1;
    const indentOf = (el: XmlElement) => /^[ \t]*/.exec(this.xml.slice(lineStart(el.start), el.start))![0];
    const sibling = after ?? parent.children.at(-1);
    const indent = sibling ? indentOf(sibling) : `${indentOf(parent)}  `;
    // A multi-line element keeps its own inner indentation, under its siblings'.
    text = text.replace(/\n/g, `\n${indent}`);
    if (sibling) return this.splice(sibling.end, sibling.end, `\n${indent}${text}`);
    if (parent.selfClosing) {
      // `<devices/>` becomes `<devices>` + the child + `</devices>`.
      let p = parent.closeStart;
      while (/\s/.test(this.xml[p - 1] ?? '')) p--;
      return this.splice(p, parent.end, `>\n${indent}${text}\n${indentOf(parent)}</${parent.name}>`);
    }
    return this.splice(parent.openEnd, parent.openEnd, `\n${indent}${text}`);
  }

  private splice(from: number, to: number, text: string): this {
    for (const s of this.splices) {
      if (from < s.to && s.from < to) throw new Error('overlapping XML edits');
      if (from === to && s.from === s.to && s.from === from) throw new Error('two insertions at one place');
    }
    this.splices.push({ from, to, text });
    return this;
  }

  /** The edited text. */
  result(): string {
    let out = this.xml;
    for (const s of [...this.splices].sort((a, b) => b.from - a.from)) out = out.slice(0, s.from) + s.text + out.slice(s.to);
    return out;
  }
}

/*
 * A small strict XML reader for the subset GraphML files use: a declaration, comments, elements
 * with quoted attributes, text, CDATA and the five named entities plus numeric ones. No DTD.
 * Every element keeps its line, so an import error can name where the problem is. (A dependency
 * would not give lines for elements, and the subset is small.)
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

export class XmlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(text: string): XmlElement {
  let pos = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new XmlError(line, msg);
  };
  const advance = (to: number) => {
    for (let i = pos; i < to; i++) if (text.charCodeAt(i) === 10) line++;
    pos = to;
  };
  const skipTo = (marker: string, what: string) => {
    const end = text.indexOf(marker, pos);
    if (end < 0) fail(`unterminated ${what}`);
    advance(end + marker.length);
  };
  const decode = (raw: string): string =>
    raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, e: string | undefined) => {
      if (e === undefined) return fail('a bare "&"; write &amp;');
      if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
      return ENTITIES[e] ?? fail(`unknown entity &${e};`);
    });
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) fail(`expected a name at "${text.slice(pos, pos + 10)}"`);
    advance(pos + m![0].length);
    return m![0];
  };
  const spaces = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) advance(pos + 1);
  };
  // prolog: declaration, comments, processing instructions
  const prolog = () => {
    for (;;) {
      spaces();
      if (text.startsWith('<?', pos)) skipTo('?>', 'declaration');
      else if (text.startsWith('<!--', pos)) skipTo('-->', 'comment');
      else if (text.startsWith('<!', pos)) fail('a DOCTYPE or DTD is not supported in a GraphML file');
      else return;
    }
  };
  const element = (): XmlElement => {
    if (text[pos] !== '<') fail(`expected "<", got "${text.slice(pos, pos + 10)}"`);
    const at = line;
    advance(pos + 1);
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '', line: at };
    for (;;) {
      spaces();
      if (text.startsWith('/>', pos)) {
        advance(pos + 2);
        return el;
      }
      if (text[pos] === '>') {
        advance(pos + 1);
        break;
      }
      const attr = name();
      spaces();
      if (text[pos] !== '=') fail(`attribute ${attr} of <${el.name}>: expected "="`);
      advance(pos + 1);
      spaces();
      const q = text[pos];
      if (q !== '"' && q !== "'") fail(`attribute ${attr} of <${el.name}>: expected a quoted value`);
      const end = text.indexOf(q!, pos + 1);
      if (end < 0) fail(`attribute ${attr} of <${el.name}>: unterminated value`);
      if (attr in el.attrs) fail(`<${el.name}>: attribute ${attr} given twice`);
      el.attrs[attr] = decode(text.slice(pos + 1, end));
      advance(end + 1);
    }
    let body = '';
    for (;;) {
      if (pos >= text.length) fail(`<${el.name}> (line ${at}) is never closed`);
      if (text.startsWith('</', pos)) {
        advance(pos + 2);
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}> (line ${at})`);
        spaces();
        if (text[pos] !== '>') fail(`</${closing}>: expected ">"`);
        advance(pos + 1);
        el.text = body.trim();
        return el;
      }
      if (text.startsWith('<!--', pos)) skipTo('-->', 'comment');
      else if (text.startsWith('<![CDATA[', pos)) {
        const end = text.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA');
        body += text.slice(pos + 9, end);
        advance(end + 3);
      } else if (text.startsWith('<?', pos)) skipTo('?>', 'processing instruction');
      else if (text[pos] === '<') el.children.push(element());
      else {
        const next = text.indexOf('<', pos);
        const end = next < 0 ? text.length : next;
        body += decode(text.slice(pos, end));
        advance(end);
      }
    }
  };
  prolog();
  if (pos >= text.length) fail('no root element');
  const root = element();
  prolog();
  if (pos < text.length) fail('content after the root element');
  return root;
}

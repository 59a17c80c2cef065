import type { ComponentChildren, VNode } from 'preact';

// The operator's policy pages are Markdown, rendered here into Preact elements, never into an HTML
// string: every piece of text is a text node, so HTML in the source shows as the characters typed
// and can inject nothing. A small subset, which is all a terms page needs:
//   # to #### headings (shifted one level down: the page has its own h1), paragraphs (a single
//   line break stays a break), "- " / "* " and "1. " lists, "> " quotes, "---" rules,
//   **bold**, *italic* / _italic_, `code`, [text](https://… | mailto:… | /path) links, and bare
//   https:// addresses and email addresses as links.
// Anything else is plain text. Links with another scheme (javascript:, data:) stay text.

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; lines: string[] }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'quote'; lines: string[] }
  | { kind: 'rule' };

const HEADING = /^(#{1,4})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/** The blocks of a Markdown text, line by line. */
export function parseBlocks(source: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] | null = null;
  let list: { ordered: boolean; items: string[] } | null = null;
  let quote: string[] | null = null;
  const close = () => {
    if (paragraph) blocks.push({ kind: 'paragraph', lines: paragraph });
    if (list) blocks.push({ kind: 'list', ...list });
    if (quote) blocks.push({ kind: 'quote', lines: quote });
    paragraph = null;
    list = null;
    quote = null;
  };
  for (const raw of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line.trim() === '') {
      close();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      close();
      blocks.push({ kind: 'heading', level: (heading[1] as string).length, text: heading[2] as string });
      continue;
    }
    if (RULE.test(line)) {
      close();
      blocks.push({ kind: 'rule' });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const ordered = numbered !== null;
      if (!list || list.ordered !== ordered) {
        close();
        list = { ordered, items: [] };
      }
      list.items.push(((bullet ?? numbered) as RegExpExecArray)[1] as string);
      continue;
    }
    const quoted = QUOTE.exec(line);
    if (quoted) {
      if (!quote) {
        close();
        quote = [];
      }
      quote.push(quoted[1] as string);
      continue;
    }
    // a line indented under a list item continues it
    if (list && /^\s{2,}\S/.test(raw)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    if (!paragraph) {
      close();
      paragraph = [];
    }
    paragraph.push(line.trim());
  }
  close();
  return blocks;
}

/** Where a link may point: the web, mail, or a path on this site. */
export function safeHref(href: string): string | null {
  const h = href.trim();
  if (/^(https?:\/\/|mailto:)/i.test(h)) return h;
  if (h.startsWith('/') && !h.startsWith('//')) return h;
  if (h.startsWith('#')) return h;
  return null;
}

const INLINE =
  /(\*\*([^*]+)\*\*)|(`([^`]+)`)|(\[([^\]]+)\]\(([^)\s]+)\))|(\*([^*\s][^*]*)\*)|(\b_([^_]+)_\b)|(https?:\/\/[^\s<>()\u3000-\u303f\uff00-\uffef]*[^\s<>().,;:!?'"\u3000-\u303f\uff00-\uffef])|([\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})/;

/** Bold, italic, code and links inside a line; everything else as text. */
export function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  for (let guard = 0; rest.length > 0 && guard < 10_000; guard++) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index > 0) out.push(rest.slice(0, match.index));
    if (match[2] !== undefined) out.push(<strong>{inline(match[2])}</strong>);
    else if (match[4] !== undefined) out.push(<code>{match[4]}</code>);
    else if (match[6] !== undefined && match[7] !== undefined) {
      const href = safeHref(match[7]);
      const external = href !== null && /^https?:/i.test(href);
      out.push(href === null ? match[0] : <a href={href} rel={external ? 'noopener noreferrer' : undefined}>{inline(match[6])}</a>);
    } else if (match[9] !== undefined) out.push(<em>{inline(match[9])}</em>);
    else if (match[11] !== undefined) out.push(<em>{inline(match[11])}</em>);
    else if (match[12] !== undefined) out.push(<a href={match[12]} rel="noopener noreferrer">{match[12]}</a>);
    else if (match[13] !== undefined) out.push(<a href={`mailto:${match[13]}`}>{match[13]}</a>);
    rest = rest.slice(match.index + match[0].length);
  }
  return out;
}

function lines(parts: string[]): ComponentChildren[] {
  return parts.flatMap((line, i) => (i === 0 ? inline(line) : [<br />, ...inline(line)]));
}

/** A Markdown text as elements (see the subset above). */
export function Markdown(props: { source: string; id?: string }) {
  const blocks = parseBlocks(props.source);
  const rendered: VNode[] = blocks.map((block) => {
    switch (block.kind) {
      case 'heading': {
        const Tag = (['h2', 'h3', 'h4', 'h5'] as const)[block.level - 1] ?? 'h5';
        return <Tag>{inline(block.text)}</Tag>;
      }
      case 'paragraph':
        return <p>{lines(block.lines)}</p>;
      case 'list': {
        const items = block.items.map((item) => <li>{inline(item)}</li>);
        return block.ordered ? <ol>{items}</ol> : <ul>{items}</ul>;
      }
      case 'quote':
        return <blockquote>{lines(block.lines)}</blockquote>;
      case 'rule':
        return <hr />;
    }
  });
  return (
    <div class="markdown" id={props.id}>
      {rendered}
    </div>
  );
}

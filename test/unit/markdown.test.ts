import { describe, expect, it } from 'bun:test';
import type { VNode } from 'preact';
import { inline, Markdown, parseBlocks, safeHref } from '../../web/src/lib/markdown';

// The policy pages' Markdown renderer: elements, never an HTML string, so an operator's text (or
// someone who got hold of the admin token) cannot put markup or script on the buyer's pages.

type Node = VNode<{ children?: unknown; href?: string }> | string;

/** The rendered tree as text with the element names: <h2>Title</h2><p>…</p>. */
function markup(node: unknown): string {
  if (node === null || node === undefined || node === false) return '';
  if (typeof node === 'string' || typeof node === 'number') return String(node).replace(/</g, '&lt;');
  if (Array.isArray(node)) return node.map(markup).join('');
  const v = node as VNode<{ children?: unknown; href?: string }>;
  if (typeof v.type === 'function') return markup((v.type as (p: unknown) => unknown)(v.props));
  const attrs = v.props.href !== undefined ? ` href="${v.props.href}"` : '';
  return `<${String(v.type)}${attrs}>${markup(v.props.children)}</${String(v.type)}>`;
}

describe('the policy Markdown', () => {
  it('renders headings one level down, paragraphs with line breaks, lists, quotes and rules', () => {
    const html = markup(Markdown({ source: '# Terms\n\nFirst line\nsecond line\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n---\n\n## Sub' }));
    expect(html).toBe(
      '<div><h2>Terms</h2><p>First line<br></br>second line</p><ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol><blockquote>quoted</blockquote><hr></hr><h3>Sub</h3></div>',
    );
  });

  it('renders bold, italic, code and links, and makes bare addresses links', () => {
    expect(markup(inline('**paid** once, *never* renewed, `sk-gateway-…`'))).toBe('<strong>paid</strong> once, <em>never</em> renewed, <code>sk-gateway-…</code>');
    expect(markup(inline('see [the refunds](/refunds) or [PayPal](https://www.paypal.com)'))).toBe('see <a href="/refunds">the refunds</a> or <a href="https://www.paypal.com">PayPal</a>');
    expect(markup(inline('请联系 support@example.com。'))).toBe('请联系 <a href="mailto:support@example.com">support@example.com</a>。');
    expect(markup(inline('at https://example.com/help.'))).toBe('at <a href="https://example.com/help">https://example.com/help</a>.');
    expect(markup(inline('snake_case_name stays'))).toBe('snake_case_name stays');
  });

  it('keeps HTML in the source as the characters typed: text nodes, never elements', () => {
    const blocks = Markdown({ source: '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>' });
    const html = markup(blocks);
    expect(html).toBe('<div><p>&lt;script>alert(1)&lt;/script></p><p>&lt;img src=x onerror=alert(1)></p></div>');
    // no element but the renderer's own
    const types = new Set<string>();
    const walk = (n: unknown) => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (n && typeof n === 'object' && 'type' in (n as object)) {
        const v = n as VNode<{ children?: unknown; dangerouslySetInnerHTML?: unknown }>;
        types.add(String(v.type));
        expect(v.props.dangerouslySetInnerHTML).toBeUndefined();
        walk(v.props.children);
      }
    };
    walk(blocks);
    expect([...types].sort()).toEqual(['div', 'p']);
  });

  it('leaves a link to anything but the web, mail or this site as text', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('//evil.example')).toBeNull();
    expect(safeHref('mailto:a@example.com')).toBe('mailto:a@example.com');
    expect(markup(inline('[click](javascript:alert(1))'))).not.toContain('<a');
  });

  it('reads CRLF, indented list continuations and stray markers without losing text', () => {
    const blocks = parseBlocks('- a long item\r\n  that goes on\r\n- b\r\n\r\n**unclosed bold');
    expect(blocks).toEqual([
      { kind: 'list', ordered: false, items: ['a long item that goes on', 'b'] },
      { kind: 'paragraph', lines: ['**unclosed bold'] },
    ]);
    expect(markup(inline('**unclosed bold'))).toBe('**unclosed bold');
  });
});

import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { SseSplitter, type SseEvent } from '../../server/lib/sse';

// Properties of the SSE splitter over random streams cut at random byte offsets.

const encoder = new TextEncoder();

function parse(bytes: Uint8Array, cuts: number[]): SseEvent[] {
  const splitter = new SseSplitter();
  const events: SseEvent[] = [];
  let start = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b).concat(bytes.length)) {
    events.push(...splitter.push(bytes.subarray(start, cut)));
    start = cut;
  }
  events.push(...splitter.end());
  return events;
}

/** Text without the characters that end lines, with a sprinkling of multi-byte UTF-8. */
const lineText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', '你', 'é', '😀', 'x', '1'), maxLength: 12 });
const eol = fc.constantFrom('\n', '\r\n', '\r');

/** One event as the wire has it, with the events it must parse to. */
const eventArb = fc
  .record({
    comments: fc.array(lineText, { maxLength: 2 }),
    data: fc.array(lineText, { maxLength: 3 }),
    extra: fc.constantFrom('', 'event: message', 'id: 7', 'retry: 1000'),
    eols: fc.array(eol, { minLength: 8, maxLength: 8 }),
  })
  .filter((e) => e.comments.length + e.data.length > 0)
  .map(({ comments, data, extra, eols }) => {
    let i = 0;
    let previous = '';
    // a lone '\r' then '\n' would read as one '\r\n': the wire cannot say two line ends that way
    const end = () => {
      const next = eols[i++ % eols.length] as string;
      previous = previous === '\r' && next === '\n' ? '\r\n' : next;
      return previous;
    };
    const lines = [...comments.map((c) => `:${c}`), ...(extra ? [extra] : []), ...data.map((d) => `data: ${d}`)];
    const wire = lines.map((line) => line + end()).join('') + end();
    const expected: SseEvent = { data: data.length ? data.join('\n') : null, comments: comments.map((c) => `:${c}`) };
    return { wire, expected };
  });

const streamArb = fc.array(eventArb, { minLength: 1, maxLength: 8 }).map((events) => ({
  bytes: encoder.encode(events.map((e) => e.wire).join('')),
  expected: events.map((e) => e.expected),
}));

const cutsFor = (length: number) => fc.array(fc.integer({ min: 0, max: length }), { maxLength: 24 });

describe('the SSE splitter under random input', () => {
  it('parses a whole valid stream into the events it was built from', () => {
    fc.assert(
      fc.property(streamArb, ({ bytes, expected }) => {
        expect(parse(bytes, [])).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same events for any split into chunks, even inside \\r\\n or a UTF-8 character', () => {
    fc.assert(
      fc.property(
        streamArb.chain((stream) => fc.tuple(fc.constant(stream), cutsFor(stream.bytes.length))),
        ([{ bytes, expected }, cuts]) => {
          expect(parse(bytes, cuts)).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives the same events fed one byte at a time', () => {
    fc.assert(
      fc.property(streamArb, ({ bytes, expected }) => {
        expect(parse(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on random bytes, and what it holds back is exactly the unfinished tail', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }).chain((bytes) => fc.tuple(fc.constant(bytes), cutsFor(bytes.length))),
        ([bytes, cuts]) => {
          const whole = parse(bytes, []);
          expect(parse(bytes, cuts)).toEqual(whole);
          const splitter = new SseSplitter();
          splitter.push(bytes);
          // a final '\r' is held back until the next byte says whether it is half of a '\r\n'
          const raw = new TextDecoder().decode(bytes);
          const text = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).replace(/\r\n?/g, '\n');
          const lastBoundary = text.lastIndexOf('\n\n');
          const tail = lastBoundary < 0 ? text : text.slice(lastBoundary + 2);
          // the decoder may still hold the first bytes of a character cut at the end
          expect(tail.startsWith(splitter.pending().replace(/\r$/, ''))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps a partial event across pushes until its blank line arrives', () => {
    fc.assert(
      fc.property(lineText, eol, (text, end) => {
        const splitter = new SseSplitter();
        expect(splitter.push(encoder.encode(`data: ${text}${end}`))).toEqual([]);
        expect(splitter.pending()).toContain(`data: ${text}`);
        // a trailing '\r' may still turn out to be half of a '\r\n', so a CR-only event ends at the next bytes or the end
        const events = splitter.push(encoder.encode(end));
        if (end === '\r') events.push(...splitter.end());
        expect(events).toEqual([{ data: text, comments: [] }]);
        expect(splitter.pending()).toBe('');
      }),
      { numRuns: 300 },
    );
  });
});

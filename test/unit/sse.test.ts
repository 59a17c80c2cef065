import { describe, expect, it } from 'bun:test';
import { SseSplitter } from '../../server/lib/sse';
import { transformChunk, type ChunkFacts } from '../../server/modules/proxy/transform';

const encoder = new TextEncoder();

function feedInPieces(text: string, cuts: number[]) {
  const bytes = encoder.encode(text);
  const splitter = new SseSplitter();
  const events = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...splitter.push(bytes.subarray(start, cut)));
    start = cut;
  }
  events.push(...splitter.end());
  return events;
}

const STREAM = ': keep-alive\n\ndata: {"a":"你好"}\n\ndata: {"b":2}\r\n\r\ndata: line1\ndata: line2\n\n: c1\n: c2\n\ndata: [DONE]\n\n';

describe('the SSE splitter', () => {
  it('splits events, comments and multi-line data', () => {
    expect(feedInPieces(STREAM, [])).toEqual([
      { data: null, comments: [': keep-alive'] },
      { data: '{"a":"你好"}', comments: [] },
      { data: '{"b":2}', comments: [] },
      { data: 'line1\nline2', comments: [] },
      { data: null, comments: [': c1', ': c2'] },
      { data: '[DONE]', comments: [] },
    ]);
  });

  it('gives the same events however the bytes are cut, even inside a UTF-8 character', () => {
    const whole = feedInPieces(STREAM, []);
    const length = encoder.encode(STREAM).length;
    for (let seed = 1; seed <= 300; seed++) {
      let x = seed;
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        x = (x * 1103515245 + 12345) % 2147483648;
        at += 1 + (x % 7);
        if (at >= length) break;
        cuts.push(at);
      }
      expect(feedInPieces(STREAM, cuts)).toEqual(whole);
    }
  });

  it('keeps a final event that lacks its blank line', () => {
    expect(feedInPieces('data: {"x":1}', [5])).toEqual([{ data: '{"x":1}', comments: [] }]);
  });
});

describe('the chunk transform', () => {
  const facts = (): ChunkFacts => ({ usage: null, finishReason: null, content: '', reasoning: '' });
  const opts = { publicModel: 'deepseek-v4-flash', includeReasoning: false, clientWantsUsage: false };

  it('renames the model, drops reasoning-only chunks and remembers the reasoning', () => {
    const f = facts();
    const chunk = { model: 'deepseek-flash', usage: null, choices: [{ index: 0, delta: { content: null, reasoning_content: 'think' }, finish_reason: null }] };
    expect(transformChunk(chunk, opts, f)).toBe('skip');
    expect(f.reasoning).toBe('think');
    const role = { model: 'deepseek-flash', choices: [{ index: 0, delta: { role: 'assistant', content: null, reasoning_content: '' }, finish_reason: null }] };
    expect(transformChunk(role, opts, f)).toBe('send');
    expect(role.model).toBe('deepseek-v4-flash');
    expect('reasoning_content' in role.choices[0]!.delta).toBe(false);
  });

  it('keeps the finish chunk with its usage and records both', () => {
    const f = facts();
    const last = { model: 'deepseek-flash', choices: [{ index: 0, delta: { content: '' }, finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: 4 } };
    expect(transformChunk(last, opts, f)).toBe('send');
    expect(f.finishReason).toBe('length');
    expect(f.usage).toEqual({ cacheHitTokens: 0, cacheMissTokens: 3, outputTokens: 4, reasoningTokens: 0 });
  });

  it('removes usage: null only when the client did not ask for usage', () => {
    const chunk = { usage: null, choices: [{ delta: { content: 'x' }, finish_reason: null }] };
    transformChunk(chunk, opts, facts());
    expect('usage' in chunk).toBe(false);
    const asked = { usage: null, choices: [{ delta: { content: 'x' }, finish_reason: null }] };
    transformChunk(asked, { ...opts, clientWantsUsage: true }, facts());
    expect(asked.usage).toBeNull();
  });
});

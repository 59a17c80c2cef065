import { describe, expect, it } from 'bun:test';
import { transformStream, type StreamEnd } from '../../server/modules/proxy/stream';

// The relay's one promise about streams: hooks.settle runs exactly once, whatever the upstream
// sends and whatever throws on the way.

const opts = { publicModel: 'deepseek-v4-flash', includeReasoning: false, clientWantsUsage: false };
const chunk = (extra = {}) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], ...extra })}\n\n`;

function run(upstreamText: string, settle: (end: StreamEnd) => Promise<string>, transformOpts: typeof opts = opts) {
  const ends: StreamEnd['outcome'][] = [];
  const stream = transformStream(new Response(upstreamText), new AbortController(), 10_000, transformOpts, 'en', {
    now: () => 0,
    settle: (end) => {
      ends.push(end.outcome);
      return settle(end);
    },
  });
  return { ends, text: new Response(stream).text() };
}

describe('a transformed stream', () => {
  it('settles once and ends with the error event when the transform itself throws', async () => {
    const throwing = { ...opts };
    Object.defineProperty(throwing, 'publicModel', { get: () => { throw new Error('boom'); } });
    const { ends, text } = run(chunk() + 'data: [DONE]\n\n', async () => ': cost\n\n', throwing);
    const body = await text;
    expect(ends).toEqual(['upstream_error']);
    expect(body).toContain('"code":"upstream_error"');
    expect(body).not.toContain('[DONE]');
  });

  it('settles once and still closes the stream when settling throws', async () => {
    const { ends, text } = run(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } }) + 'data: [DONE]\n\n', async () => {
      throw new Error('the ledger is gone');
    });
    const body = await text;
    expect(ends).toEqual(['complete']);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

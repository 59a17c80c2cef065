import { describe, expect, it } from 'bun:test';
import { transformChunk, transformContentChunk, type ChunkFacts, type TransformOptions } from '../../server/modules/proxy/transform';

// The text splice for DeepSeek's plain content chunks must give what the full parse gives: the
// same JSON sent on (or nothing), the same facts; and it must leave every other chunk to the parse.

const facts = (): ChunkFacts => ({ usage: null, finishReason: null, content: '', reasoning: '' });
const deepseek = (content: string, usage = ',"usage":null', extra = '') =>
  `{"id":"7fa2b030-a1f3","object":"chat.completion.chunk","created":1796124238,"model":"deepseek-v4-flash","system_fingerprint":"fp_5e1d7fe6f2_prod1017","choices":[{"index":0,"delta":{"content":${content}${extra}},"logprobs":null,"finish_reason":null}]${usage}}`;

/** What the full path sends for `data`, and the facts it leaves. */
function full(data: string, opts: TransformOptions) {
  const f = facts();
  const chunk = JSON.parse(data) as unknown;
  const verdict = transformChunk(chunk, opts, f);
  return { sent: verdict === 'send' ? JSON.parse(JSON.stringify(chunk)) : verdict, facts: f };
}

function fast(data: string, opts: TransformOptions) {
  const f = facts();
  const event = transformContentChunk(data, opts, f);
  if (event === undefined) return undefined;
  return { sent: event === '' ? 'skip' : JSON.parse(event.replace(/^data: /, '').trimEnd()), facts: f };
}

const optionSets: TransformOptions[] = [
  { publicModel: 'deepseek-chat', includeReasoning: false, clientWantsUsage: false },
  { publicModel: 'deepseek-chat', includeReasoning: true, clientWantsUsage: true },
  { publicModel: 'a "quoted" \\ model', includeReasoning: false, clientWantsUsage: false },
];

describe('the plain content chunk splice', () => {
  const spliced = [
    deepseek('"Uniform"'),
    deepseek('" copper"', ''),
    deepseek('""'),
    deepseek('"line\\nbreak \\"quoted\\" \\u00e9 \\\\ end"'),
    deepseek('"汉字 and emoji 🙂"'),
  ];
  for (const data of spliced) {
    for (const opts of optionSets) {
      it(`gives what the full parse gives: ${data.slice(150, 190)} (${opts.publicModel}, usage wanted ${opts.clientWantsUsage})`, () => {
        const got = fast(data, opts);
        expect(got).toBeDefined();
        expect(got).toEqual(full(data, opts));
      });
    }
  }

  it('takes the full parse for every other chunk', () => {
    const opts = optionSets[0]!;
    const others = [
      deepseek('"x"', ',"usage":{"prompt_tokens":1}'),
      deepseek('"x"', '', ',"reasoning_content":"thinking"'),
      deepseek('null', '', ',"reasoning_content":"thinking"'),
      deepseek('"x"').replace('"finish_reason":null', '"finish_reason":"stop"'),
      deepseek('"x"').replace('"delta":{', '"delta":{"role":"assistant",'),
      deepseek('"bad \\x escape"'),
      deepseek('"raw\ncontrol"'),
      `{"error":{"message":"boom"}}`,
    ];
    for (const data of others) expect(transformContentChunk(data, opts, facts())).toBeUndefined();
  });
});

import { describe, expect, it } from 'bun:test';
import { anthropicStreamUsage, usageFromAnthropic, usageFromDeepSeek, usageFromResponses } from '../../server/modules/proxy/usage';

// One usage mapper per protocol: each protocol's own field names to the ledger's kinds, without
// counting a token twice (the pitfalls other gateways fell into: summed deltas, cache inside input).

describe('Anthropic Messages usage', () => {
  it('bills input_tokens as miss, cache_read as hit, cache_creation as miss, output as output', () => {
    expect(usageFromAnthropic({ input_tokens: 12, cache_read_input_tokens: 900, cache_creation_input_tokens: 3, output_tokens: 40 })).toEqual({
      cacheHitTokens: 900,
      cacheMissTokens: 15,
      outputTokens: 40,
      reasoningTokens: 0,
    });
  });

  it("in a stream: message_start's input, the last message_delta's output; input fields the delta repeats win, never added", () => {
    const start = { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 1 };
    expect(anthropicStreamUsage(start, { output_tokens: 7 })).toMatchObject({ cacheMissTokens: 10, cacheHitTokens: 5, outputTokens: 7 });
    expect(anthropicStreamUsage(start, { input_tokens: 12, cache_read_input_tokens: 5, output_tokens: 7 })).toMatchObject({ cacheMissTokens: 12, cacheHitTokens: 5, outputTokens: 7 });
    // a cache read reported only on the delta is counted once
    expect(anthropicStreamUsage({ input_tokens: 10, output_tokens: 1 }, { cache_read_input_tokens: 4, output_tokens: 2 })).toMatchObject({ cacheMissTokens: 10, cacheHitTokens: 4, outputTokens: 2 });
    expect(anthropicStreamUsage(undefined, { output_tokens: 2 })).toBeNull();
  });

  it('refuses usage with counts of the wrong type', () => {
    expect(usageFromAnthropic({ input_tokens: '12', output_tokens: 1 })).toBeNull();
    expect(usageFromAnthropic({ input_tokens: 1, output_tokens: 1, cache_read_input_tokens: -1 })).toBeNull();
  });
});

describe('Responses usage', () => {
  it('takes the cached tokens out of input_tokens: miss = input − cached', () => {
    expect(usageFromResponses({ input_tokens: 10240, input_tokens_details: { cached_tokens: 9984 }, output_tokens: 512, output_tokens_details: { reasoning_tokens: 300 } })).toEqual({
      cacheHitTokens: 9984,
      cacheMissTokens: 256,
      outputTokens: 512,
      reasoningTokens: 300,
    });
    expect(usageFromResponses({ input_tokens: 5, output_tokens: 1 })).toMatchObject({ cacheHitTokens: 0, cacheMissTokens: 5 });
    expect(usageFromResponses({ input_tokens: 5, output_tokens: 1, input_tokens_details: { cached_tokens: 'x' } })).toBeNull();
  });
});

describe("DeepSeek's server-tool calls", () => {
  it('are read from server_tool_use on every protocol, zero counts left out', () => {
    const use = { server_tool_use: { web_search_requests: 3, web_fetch_requests: 0 } };
    expect(usageFromAnthropic({ input_tokens: 1, output_tokens: 1, ...use })?.serverTools).toEqual({ web_search: 3 });
    expect(usageFromResponses({ input_tokens: 1, output_tokens: 1, server_tool_use: { web_search_requests: 0, web_fetch_requests: 2 } })?.serverTools).toEqual({ read_url: 2 });
    expect(usageFromDeepSeek({ prompt_tokens: 1, completion_tokens: 1, ...use })?.serverTools).toEqual({ web_search: 3 });
    expect(usageFromDeepSeek({ prompt_tokens: 1, completion_tokens: 1 })?.serverTools).toBeUndefined();
  });
});

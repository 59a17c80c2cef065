import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { formatUsd } from '../../server/lib/money';
import { adminClient, auditRows, type AdminClient } from '../helpers/admin';
import { bearer, chat, keyRow, ledgerRows, startStack, user, type Stack } from '../helpers/stack';

// DeepSeek's server-side tools (web search, URL reading, file parsing), billed by DeepSeek per
// call: refused by default on every protocol; once the operator prices one, held at its worst
// case, billed exactly from DeepSeek's usage, and never past the budget.

let stack: Stack;
let admin: AdminClient;
beforeAll(async () => {
  stack = await startStack();
  admin = adminClient(stack.gw.url, stack.gw.admin.token);
});
afterAll(() => stack.close());

type Row = Record<string, unknown>;
type Json = Record<string, any>;
const rowsOf = (key: string): Row[] => ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
const post = (path: string, key: string, body: unknown) => fetch(`${stack.gw.url}${path}`, { method: 'POST', headers: { ...bearer(key), 'x-api-key': key }, body: JSON.stringify(body) });
const messages = (key: string, body: Json) => post('/anthropic/v1/messages', key, { model: 'deepseek-v4-flash', max_tokens: 200, ...body });
const responses = (key: string, body: Json) => post('/v1/responses', key, { model: 'deepseek-v4-flash', ...body });

const SEARCH_PRICE = { peak_usd_per_call: '0.00075', off_peak_usd_per_call: '0.000375', max_calls_per_request: 5 };
const PEAK_CALL = 750_000;
const OFF_PEAK_CALL = 375_000;

/** The row's token cost from its own prices, plus its tool calls (at most `cap` each) at the period's per-call price. */
function expectBilledExactly(row: Row, perCall: { peak: number; off_peak: number }, billedCalls: number): void {
  const tokens = (row.cache_hit_tokens as number) * (row.cache_hit_price_nano as number) + (row.cache_miss_tokens as number) * (row.cache_miss_price_nano as number) + (row.output_tokens as number) * (row.output_price_nano as number);
  const tools = billedCalls * perCall[row.period as 'peak' | 'off_peak'];
  expect({ tools: row.server_tool_cost_nano, total: row.cost_nano }).toEqual({ tools, total: tokens + tools });
}

describe('server-side tools, refused by default', () => {
  it('answers 400 naming the tool, in each protocol’s shape, before anything is held or sent', async () => {
    const key = await stack.key();
    const before = (await stack.upstreamRequests()).length;

    const onChat = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('search the web'), tools: [{ type: 'function', function: { name: 'f' } }, { type: 'deepseek_web_search' }] });
    expect(onChat.status).toBe(400);
    const chatError = ((await onChat.json()) as Json).error;
    expect(chatError).toMatchObject({ code: 'server_tool_not_enabled', type: 'invalid_request_error', param: 'tools.1' });
    expect(chatError.message).toContain('deepseek_web_search');

    const onMessages = await messages(key, { tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }], messages: [{ role: 'user', content: 'search' }] });
    expect(onMessages.status).toBe(400);
    const messagesError = (await onMessages.json()) as Json;
    expect(messagesError).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(messagesError.error.message).toContain('web_search_20250305');

    const document = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } };
    const onFile = await messages(key, { messages: [{ role: 'user', content: [document, { type: 'text', text: 'summarise' }] }] });
    expect(onFile.status).toBe(400);
    expect(((await onFile.json()) as Json).error.message).toContain('document');

    const onResponses = await responses(key, { input: 'read https://example.com/a', tools: [{ type: 'deepseek_read_url' }] });
    expect(onResponses.status).toBe(400);
    expect(((await onResponses.json()) as Json).error).toMatchObject({ code: 'server_tool_not_enabled', param: 'tools.0' });

    expect((await stack.upstreamRequests()).length).toBe(before);
    expect(rowsOf(key)).toHaveLength(0);
    expect(keyRow(stack, key).spent_nano).toBe(0);
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
  });
});

describe('server-side tools the operator priced', () => {
  beforeAll(async () => {
    const set = await admin.put('/tool-prices/web_search', SEARCH_PRICE);
    expect(set.status).toBe(200);
  });

  it('sets, lists and removes prices through the admin API, each change audited', async () => {
    const listed = await admin.get('/tool-prices');
    expect(listed.body.data).toContainEqual({ tool: 'web_search', model: '*', peak_usd_per_call: '0.000750000', off_peak_usd_per_call: '0.000375000', max_calls_per_request: 5 });
    expect(auditRows(stack.gw.deps.database!.sqlite, 'tool_price.set')[0]).toMatchObject({ target: 'web_search:*', after: { tool: 'web_search', peak_usd_per_call: '0.000750000' } });
    expect((await admin.put('/tool-prices/web_search', { ...SEARCH_PRICE, model: 'no-such-model' })).status).toBe(400);
    expect((await admin.put('/tool-prices/web_search', { ...SEARCH_PRICE, max_calls_per_request: 0 })).status).toBe(400);
    expect((await admin.put('/tool-prices/telepathy', SEARCH_PRICE)).status).toBe(400);
    const removed = await admin.put('/tool-prices/read_url', { ...SEARCH_PRICE, model: 'deepseek-v4-pro' });
    expect(removed.status).toBe(200);
    expect((await admin.del('/tool-prices/read_url?model=deepseek-v4-pro')).status).toBe(200);
    expect(auditRows(stack.gw.deps.database!.sqlite, 'tool_price.remove')[0]).toMatchObject({ target: 'read_url:deepseek-v4-pro', after: null });
    expect((await admin.del('/tool-prices/read_url?model=deepseek-v4-pro')).status).toBe(404);
  });

  it('bills each search DeepSeek reports at the per-call price, on Messages, chat and Responses, shown in /api/usage/requests', async () => {
    const key = await stack.key();
    const onMessages = await messages(key, { tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'news please #searches=3 #tokens=4' }] });
    expect(onMessages.status).toBe(200);
    const answer = (await onMessages.json()) as Json;
    expect(answer.usage.server_tool_use).toEqual({ web_search_requests: 3, web_fetch_requests: 0 });
    expect(answer.content.filter((b: Json) => b.type === 'server_tool_use')).toHaveLength(3);

    const onChat = await chat(stack, key, { model: 'deepseek-v4-flash', messages: user('news #searches=2 #tokens=3'), tools: [{ type: 'deepseek_web_search' }], stream: true });
    expect(onChat.status).toBe(200);
    await onChat.text();
    const onResponses = await responses(key, { input: 'news #tokens=3', tools: [{ type: 'deepseek_web_search' }] });
    expect(onResponses.status).toBe(200);

    const rows = rowsOf(key);
    expect(rows.map((r) => [r.protocol, r.web_search_calls])).toEqual([
      ['anthropic', 3],
      ['chat', 2],
      ['responses', 1],
    ]);
    const perCall = { peak: PEAK_CALL, off_peak: OFF_PEAK_CALL };
    rows.forEach((row, i) => expectBilledExactly(row, perCall, [3, 2, 1][i]!));
    expect(keyRow(stack, key).spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));
    const listed = (await (await fetch(`${stack.gw.url}/api/usage/requests`, { headers: bearer(key) })).json()) as { data: Json[] };
    const newest = listed.data[2]!;
    expect(newest).toMatchObject({ protocol: 'anthropic', server_tool_calls: { web_search: 3, read_url: 0, file_parse: 0 }, server_tool_cost_usd: formatUsd(rows[0]!.server_tool_cost_nano as number) });
    expect(newest.cost_usd).toBe(formatUsd(rows[0]!.cost_nano as number));
  });

  it('holds max_calls_per_request calls at the dearer price: a budget that fits the tokens but not the calls is refused', async () => {
    // ~1 cent: the tokens of a tiny answer fit, five searches at 0.00075 USD do too, but not with a long output cap
    const key = await stack.key({ budget: '0.003' });
    const tooPoor = await messages(key, { max_tokens: 16, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'hi' }] });
    expect(tooPoor.status).toBe(402);
    expect(((await tooPoor.json()) as Json).error.type).toBe('billing_error');
    const withoutTools = await messages(key, { max_tokens: 16, messages: [{ role: 'user', content: 'hi #tokens=2' }] });
    expect(withoutTools.status).toBe(200);

    // while a request runs, its hold covers the five searches on top of its tokens
    const rich = await stack.key();
    await stack.control('next', { stall_ms: 400 });
    const running = messages(rich, { max_tokens: 16, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'hi #tokens=2' }] });
    await Bun.sleep(150);
    expect(stack.gw.deps.metering.holdsTotal().nano).toBeGreaterThan(5 * PEAK_CALL);
    expect((await running).status).toBe(200);
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
  });

  it('bills at most max_calls_per_request searches, however many DeepSeek reports, and records the reported count', async () => {
    const key = await stack.key();
    const res = await messages(key, { tools: [{ type: 'web_search_20260209', name: 'web_search' }], messages: [{ role: 'user', content: 'dig deep #searches=8 #tokens=2' }] });
    expect(res.status).toBe(200);
    const [row] = rowsOf(key);
    expect(row!.web_search_calls).toBe(8);
    expectBilledExactly(row!, { peak: PEAK_CALL, off_peak: OFF_PEAK_CALL }, 5);
  });

  it('never lets concurrent searching requests spend past the budget: spent equals the ledger, no hold left', async () => {
    const key = await stack.key({ budget: '0.02' });
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        messages(key, { max_tokens: 60, stream: i % 2 === 0, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: `q${i} #searches=4 #tokens=20` }] }).then(async (r) => {
          await r.text();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(2);
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0);
    const after = keyRow(stack, key);
    const rows = rowsOf(key);
    expect(after.spent_nano).toBeLessThanOrEqual(after.budget_nano);
    expect(after.spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));
    expect(rows.every((r) => r.web_search_calls === 4)).toBe(true);
    expect(stack.gw.deps.metering.holdsTotal().count).toBe(0);
  });

  it('bills a per-model price over the global one, and each file sent for parsing once file parsing is priced', async () => {
    expect((await admin.put('/tool-prices/web_search', { model: 'deepseek-v4-pro', peak_usd_per_call: '0.002', off_peak_usd_per_call: '0.001', max_calls_per_request: 3 })).status).toBe(200);
    expect((await admin.put('/tool-prices/file_parse', { peak_usd_per_call: '0.0001', off_peak_usd_per_call: '0.0001', max_calls_per_request: 2 })).status).toBe(200);
    const key = await stack.key();
    const pro = await new Anthropic({ baseURL: `${stack.gw.url}/anthropic`, apiKey: key, maxRetries: 0 }).messages.create({
      model: 'claude-opus-4',
      max_tokens: 100,
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      messages: [{ role: 'user', content: 'find it #searches=2 #tokens=2' }],
    });
    expect(pro.usage.server_tool_use?.web_search_requests).toBe(2);
    const document = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } };
    const parsed = await messages(key, { messages: [{ role: 'user', content: [document, document, { type: 'text', text: 'compare #tokens=2' }] }] });
    expect(parsed.status).toBe(200);
    const tooMany = await messages(key, { messages: [{ role: 'user', content: [document, document, document, { type: 'text', text: 'compare' }] }] });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as Json).error.message).toContain('at most 2');
    const [proRow, fileRow, ...more] = rowsOf(key);
    expect(more).toHaveLength(0);
    expect(proRow).toMatchObject({ public_model: 'deepseek-v4-pro', web_search_calls: 2 });
    expectBilledExactly(proRow!, { peak: 2_000_000, off_peak: 1_000_000 }, 2);
    expect(fileRow).toMatchObject({ file_parse_calls: 2, web_search_calls: 0 });
    expectBilledExactly(fileRow!, { peak: 100_000, off_peak: 100_000 }, 2);
    expect((await admin.del('/tool-prices/file_parse')).status).toBe(200);
    expect((await messages(key, { messages: [{ role: 'user', content: [document, { type: 'text', text: 'again' }] }] })).status).toBe(400);
  });

  it('bills the searches a Messages stream showed when the client leaves before DeepSeek’s usage', async () => {
    const key = await stack.key();
    // message_start, ping, then per search: server_tool_use (start, input delta, stop) and its result (start, stop)
    await stack.control('next', { cut_after_chunks: 2 + 5 * 2 + 1 });
    const res = await messages(key, { stream: true, thinking: { type: 'disabled' }, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'news #searches=3 #tokens=30' }] });
    const text = await res.text();
    expect(text.match(/"type":"server_tool_use"/g)).toHaveLength(3);
    const [row] = rowsOf(key);
    expect(row).toMatchObject({ basis: 'estimated', web_search_calls: 3 });
    expectBilledExactly(row!, { peak: PEAK_CALL, off_peak: OFF_PEAK_CALL }, 3);
  });
});

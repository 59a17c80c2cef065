import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { parseUsd } from '../../server/lib/money';
import { startTestGateway, type TestGateway } from '../helpers/gateway';
import { bearer, user } from '../helpers/stack';

// An upstream that breaks the wire format in ways a faithful simulator never would: the gateway
// must end the answer cleanly, bill once, and release the hold.

type Mode = 'endless-event' | 'absurd-usage';

let mode: Mode = 'endless-event';
let endlessSentMb = 0;
let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;

const chunk = (extra: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: 'x1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-v4-flash', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], ...extra })}\n\n`;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch() {
      const encoder = new TextEncoder();
      const piece = encoder.encode('x'.repeat(1024 * 1024));
      let step = 0;
      endlessSentMb = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          step++;
          if (step === 1) return controller.enqueue(encoder.encode(chunk({})));
          if (mode === 'endless-event') {
            // one event that never ends: a data line without its blank line, up to 64 MB
            if (step === 2) return controller.enqueue(encoder.encode('data: {"id":"x1","junk":"'));
            if (endlessSentMb >= 64) return controller.close();
            endlessSentMb++;
            return controller.enqueue(piece);
          }
          const huge = 1e300;
          controller.enqueue(encoder.encode(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: huge, completion_tokens: huge, prompt_cache_hit_tokens: huge, prompt_cache_miss_tokens: huge, total_tokens: huge } })));
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    },
  });
  gw = await startTestGateway({ env: { DEEPSEEK_API_KEY: 'sk-upstream-hostile-1', DEEPSEEK_BASE_URL: `http://127.0.0.1:${upstream.port}` } });
});

afterAll(async () => {
  await gw.close();
  upstream.stop(true);
});

function newKey(budgetUsd: string) {
  const { key, row } = gw.deps.metering.createKey({ planId: 'pro', budgetNano: parseUsd(budgetUsd), rpmOverride: 0, concurrencyOverride: 0 });
  return { key, id: row.id };
}

function ledgerFor(keyId: string) {
  const sqlite = gw.deps.database.sqlite;
  const { spent_nano } = sqlite.query('SELECT spent_nano FROM api_keys WHERE id = ?').get(keyId) as { spent_nano: number };
  const rows = sqlite.query('SELECT cost_nano, basis FROM ledger WHERE key_id = ?').all(keyId) as { cost_nano: number; basis: string }[];
  return { spent: spent_nano, rows };
}

async function streamChat(key: string) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: bearer(key), body: JSON.stringify({ model: 'deepseek-v4-flash', stream: true, max_tokens: 50, messages: user('hello') }) });
  return { status: res.status, text: await res.text() };
}

describe('a hostile upstream', () => {
  it('that sends an event which never ends gets the stream ended with the final error event, billed once, hold released', async () => {
    mode = 'endless-event';
    const { key, id } = newKey('1');
    const { status, text } = await streamChat(key);
    expect(status).toBe(200);
    const last = text.trim().split('\n\n').filter((e) => e.startsWith('data: ')).pop() as string;
    const event = JSON.parse(last.slice(6)) as { error?: { code: string }; choices: unknown[] };
    expect(event.error?.code).toBe('upstream_error');
    expect(event.choices).toEqual([]);
    expect(text).not.toContain('[DONE]');
    // the gateway gave up on the upstream near the 16 MB cap instead of reading on
    expect(endlessSentMb).toBeLessThan(40);
    const ledger = ledgerFor(id);
    expect(ledger.rows).toHaveLength(1);
    expect(ledger.spent).toBe(ledger.rows[0]!.cost_nano);
    expect(gw.deps.metering.holdsTotal().count).toBe(0);
  }, 30_000); // 16 MB or more through the gateway: 3–5 s alone, more on a busy machine

  it('that reports absurd token counts is billed at a capped count, and the request is settled instead of lost', async () => {
    mode = 'absurd-usage';
    const { key, id } = newKey('1');
    const { status, text } = await streamChat(key);
    expect(status).toBe(200);
    expect(text).toContain('data: [DONE]');
    const ledger = ledgerFor(id);
    expect(ledger.rows).toHaveLength(1);
    expect(Number.isSafeInteger(ledger.rows[0]!.cost_nano)).toBe(true);
    // never more than the hold allowed: the key's budget is the ceiling
    expect(ledger.spent).toBe(ledger.rows[0]!.cost_nano);
    expect(ledger.spent).toBeLessThanOrEqual(parseUsd('1'));
    // and the gateway still serves
    mode = 'endless-event';
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

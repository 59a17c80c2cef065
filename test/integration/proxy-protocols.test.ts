import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';
import { embeddedMigrations } from '../../server/db/migrations.generated';
import { ADAPTERS, COUNT_TOKENS_PATHS } from '../../server/modules/proxy/protocols';
import { tempDir } from '../helpers/gateway';
import { bearer, startStack, type Stack } from '../helpers/stack';

// What the protocol adapters add to the outside: their paths in /docs/json, the error shape the
// global mapper picks by path, and the ledger's protocol column.

let stack: Stack;
const dir = tempDir();
beforeAll(async () => {
  stack = await startStack({ env: { TOLLGATE_MAX_BODY_BYTES: '65536' } });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

describe('the relayed paths in /docs/json', () => {
  it('documents every adapter path as a POST with a summary without backticks, the buyer key and the usual errors', async () => {
    const doc = (await (await fetch(`${stack.gw.url}/docs/json`)).json()) as Json;
    const paths = [...ADAPTERS.flatMap((adapter) => adapter.paths), ...COUNT_TOKENS_PATHS];
    expect(paths).toEqual(
      expect.arrayContaining(['/beta/chat/completions', '/beta/completions', '/v1/completions', '/completions', '/anthropic/v1/messages', '/anthropic/messages', '/v1/messages', '/v1/responses', '/responses', '/v1/messages/count_tokens']),
    );
    for (const path of paths) {
      const op = doc.paths[path]?.post as Json | undefined;
      expect({ path, documented: op !== undefined }).toEqual({ path, documented: true });
      expect(op!.summary.length).toBeGreaterThan(10);
      expect(op!.summary).not.toContain('`');
      const anthropic = path.includes('messages');
      expect(op!.tags).toEqual([anthropic ? 'Anthropic-compatible' : 'OpenAI-compatible']);
      expect(op!.security).toEqual(anthropic ? [{ buyerKey: [] }, { buyerApiKeyHeader: [] }] : [{ buyerKey: [] }]);
      // Anthropic's clients know "overloaded" as 529; count_tokens never reaches DeepSeek
      const statuses = path.includes('count_tokens') ? ['200', '400', '401', '403', '404'] : ['200', '400', '401', '402', '403', '404', '429', anthropic ? '529' : '503'];
      for (const status of statuses) expect({ path, status, ok: op!.responses[status] !== undefined }).toEqual({ path, status, ok: true });
      // the Anthropic paths document Anthropic's error shape
      if (anthropic) expect(JSON.stringify(op!.responses['401'])).toContain('AnthropicUnauthorized');
    }
    expect(doc.components.securitySchemes.buyerApiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    const fim = doc.paths['/beta/completions'].post as Json;
    const body = fim.requestBody.content['application/json'].schema as Json;
    expect(body.required).toEqual(['model', 'prompt']);
    for (const field of ['suffix', 'max_tokens', 'stream', 'stream_options', 'stop', 'temperature']) expect(body.properties[field]).toBeDefined();
    expect(Object.keys(fim.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
  });
});

describe('errors on the Anthropic paths', () => {
  it('come in Anthropic’s shape, an unknown path’s 404 and a body too large included', async () => {
    const missing = await fetch(`${stack.gw.url}/anthropic/v1/nothing`, { method: 'POST', headers: bearer(await stack.key()), body: '{}' });
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as Json;
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('not_found_error');
    expect(typeof body.error.message).toBe('string');
    const large = await fetch(`${stack.gw.url}/anthropic/v1/messages`, { method: 'POST', headers: bearer(await stack.key()), body: 'x'.repeat(70_000) });
    expect(large.status).toBe(413);
    expect(((await large.json()) as Json).error.type).toBe('request_too_large');
    // and everything else keeps OpenAI's
    const openai = (await (await fetch(`${stack.gw.url}/v1/nothing`, { method: 'POST', headers: bearer(await stack.key()), body: '{}' })).json()) as Json;
    expect(openai.error.code).toBe('not_found');
  });
});

describe('the ledger’s protocol column', () => {
  it('marks the rows written before it as chat', () => {
    const handle = openDatabase(join(dir, 'before-protocols.sqlite'));
    const before = embeddedMigrations.findIndex((m) => m.tag.endsWith('ledger_protocol'));
    expect(before).toBeGreaterThan(0);
    for (const m of embeddedMigrations.slice(0, before)) for (const statement of m.sql.split('--> statement-breakpoint')) handle.sqlite.exec(statement);
    handle.sqlite.exec(`INSERT INTO plans (id, name, price_nano, budget_nano, models, rpm, max_concurrency, validity_days) VALUES ('p', 'P', 1, 1, '[]', 0, 0, 1)`);
    handle.sqlite.exec(`INSERT INTO api_keys (id, key_hash, key_encrypted, key_hint, plan_id, budget_nano, upstream_user_id) VALUES ('k', 'h', 'e', 'sk-…', 'p', 1, 'u')`);
    handle.sqlite.exec(`INSERT INTO ledger (request_id, key_id, public_model, upstream_model, period, cache_hit_tokens, cache_miss_tokens, output_tokens, reasoning_tokens,
      cache_hit_price_nano, cache_miss_price_nano, output_price_nano, cost_nano, basis, http_status, stream, duration_ms, started_at, finished_at)
      VALUES ('req_old', 'k', 'm', 'm', 'peak', 0, 1, 1, 0, 0, 0, 0, 0, 'upstream', 200, 0, 1, 1, 1)`);
    // drizzle's migrator records what ran: replay the earlier ones into its table, then migrate
    handle.sqlite.exec('CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)');
    for (const m of embeddedMigrations.slice(0, before)) handle.sqlite.query('INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)').run(new Bun.CryptoHasher('sha256').update(m.sql).digest('hex'), m.when);
    expect(migrateDatabase(handle.db).applied).toBe(embeddedMigrations.length - before);
    expect(handle.sqlite.query("SELECT protocol FROM ledger WHERE request_id = 'req_old'").get()).toEqual({ protocol: 'chat' });
    handle.close();
  });
});

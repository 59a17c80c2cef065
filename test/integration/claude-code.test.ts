import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeBinary } from '../helpers/claude-code';
import { tempDir } from '../helpers/gateway';
import { keyRow, ledgerRows, startStack, type Stack } from '../helpers/stack';

// Claude Code itself (npm @anthropic-ai/claude-code) in print mode against the gateway, the
// DeepSeek simulator upstream: it answers, each of its requests is one `anthropic` ledger row at
// the price book's price, and it reaches nothing but the gateway. A proxy that records and
// refuses is set as HTTP(S)_PROXY with loopback excluded: anything Claude Code sends elsewhere
// (telemetry, updates, model discovery) would show there.

let stack: Stack;
let home: string;
let proxy: Bun.TCPSocketListener<undefined>;
const outside: string[] = [];
beforeAll(async () => {
  stack = await startStack();
  home = tempDir('tollgate-claude-home-');
  mkdirSync(join(home, 'work'));
  proxy = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      data(socket, data) {
        outside.push(new TextDecoder().decode(data).split('\r\n')[0]!);
        socket.end();
      },
    },
  });
});
afterAll(async () => {
  proxy.stop(true);
  await stack.close();
  rmSync(home, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

/** Runs `claude -p PROMPT --output-format json` with a buyer key, and parses its result. */
async function claude(key: string, prompt: string, args: string[] = []): Promise<{ code: number; result: Record<string, any>; stderr: string }> {
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  const proc = Bun.spawn([claudeCodeBinary(), '-p', prompt, '--output-format', 'json', ...args], {
    cwd: join(home, 'work'),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      ANTHROPIC_BASE_URL: `${stack.gw.url}/anthropic`,
      ANTHROPIC_AUTH_TOKEN: key,
      ANTHROPIC_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'deepseek-v4-flash',
      CLAUDE_CODE_SUBAGENT_MODEL: 'deepseek-v4-flash',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      HTTPS_PROXY: proxyUrl,
      HTTP_PROXY: proxyUrl,
      NO_PROXY: '127.0.0.1,localhost',
    },
  });
  const timer = setTimeout(() => proc.kill(), 90_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  let result: Record<string, any> = {};
  try {
    result = JSON.parse(stdout) as Record<string, any>;
  } catch {
    throw new Error(`claude printed no JSON (exit ${code}): ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`);
  }
  return { code, result, stderr };
}

function expectPricedExactly(row: Row): void {
  const book = stack.gw.deps.catalog.pricesFor(row.public_model as string, row.period as 'peak' | 'off_peak');
  expect(row.cost_nano).toBe((row.cache_hit_tokens as number) * book.cacheHitNano + (row.cache_miss_tokens as number) * book.cacheMissNano + (row.output_tokens as number) * book.outputNano);
}

/** The paths the gateway answered (its request log) since the given line. */
const gatewayPaths = (since: number) =>
  stack.gw.logLines
    .slice(since)
    .map((line) => JSON.parse(line) as { msg: string; method?: string; path?: string })
    .filter((line) => line.msg === 'request')
    .map((line) => `${line.method} ${line.path}`);

describe('Claude Code through the gateway', () => {
  it('answers a prompt in print mode; its requests are anthropic ledger rows at the right price; nothing but the gateway is reached', async () => {
    const key = await stack.key({ planId: 'standard' });
    const logFrom = stack.gw.logLines.length;
    const upstreamFrom = (await stack.upstreamRequests()).length;
    const { code, result } = await claude(key, 'Reply with exactly OK #tokens=3', ['--max-turns', '1']);
    expect(code).toBe(0);
    expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
    // the simulator's deterministic answer: three words
    expect(String(result.result).trim().split(/\s+/)).toHaveLength(3);

    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.protocol === 'anthropic' && r.public_model === 'deepseek-v4-flash')).toBe(true);
    const answered = rows.filter((r) => r.http_status === 200);
    expect(answered.length).toBeGreaterThan(0);
    for (const row of rows) expectPricedExactly(row);
    // what Claude Code counted is what was billed
    const billed = answered.reduce<{ miss: number; hit: number; output: number }>((n, r) => ({ miss: n.miss + (r.cache_miss_tokens as number), hit: n.hit + (r.cache_hit_tokens as number), output: n.output + (r.output_tokens as number) }), { miss: 0, hit: 0, output: 0 });
    expect(billed).toEqual({ miss: result.usage.input_tokens, hit: result.usage.cache_read_input_tokens, output: result.usage.output_tokens });
    expect(keyRow(stack, key).spent_nano).toBe(rows.reduce((n, r) => n + (r.cost_nano as number), 0));

    // nothing but the Messages API was asked of the gateway (count_tokens and the HEAD probe would be fine too)
    const asked = gatewayPaths(logFrom);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((p) => ['POST /anthropic/v1/messages', 'POST /anthropic/v1/messages/count_tokens', 'HEAD /'].includes(p))).toBe(true);
    const upstream = (await stack.upstreamRequests()).slice(upstreamFrom);
    expect(upstream.map((r) => r.path).every((p) => p === '/anthropic/v1/messages')).toBe(true);
    expect(upstream.every((r) => /^tg-[A-Za-z0-9]{24}$/.test(String((r.body.metadata as { user_id?: string } | undefined)?.user_id)))).toBe(true);
    expect(outside).toEqual([]);
  }, 120_000);

  it('runs a tool over two turns: the tool_use turn goes back with its thinking, and DeepSeek accepts it', async () => {
    const key = await stack.key({ planId: 'standard' });
    const upstreamFrom = (await stack.upstreamRequests()).length;
    const { code, result } = await claude(key, 'Please call Glob for me #tokens=4', ['--max-turns', '3', '--allowedTools', 'Glob']);
    expect(code).toBe(0);
    expect(result.is_error).toBe(false);
    expect(result.num_turns).toBeGreaterThanOrEqual(2);
    const rows = ledgerRows(stack, `key_id = '${keyRow(stack, key).id}' AND http_status = 200`);
    expect(rows.map((r) => r.finish_reason)).toContain('tool_use');
    expect(rows.at(-1)!.finish_reason).toBe('end_turn');
    for (const row of rows) expectPricedExactly(row);
    // the turn after the tool ran carried the assistant's thinking (signed) and tool_use blocks back to DeepSeek
    const sent = (await stack.upstreamRequests()).slice(upstreamFrom).map((r) => r.body.messages as { role: string; content: unknown }[]);
    const replayed = sent.flatMap((messages) => messages.filter((m) => m.role === 'assistant' && Array.isArray(m.content))).map((m) => (m.content as { type: string; signature?: string }[]));
    expect(replayed.some((blocks) => blocks.some((b) => b.type === 'tool_use') && blocks.some((b) => b.type === 'thinking' && typeof b.signature === 'string'))).toBe(true);
    expect(outside).toEqual([]);
  }, 120_000);
});

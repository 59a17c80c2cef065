import { describe, expect, it } from 'bun:test';
import { createLogger } from '../../server/lib/log';
import { randomBase62, timeOrderedId } from '../../server/lib/keys';
import { sharedStopSignal } from '../../server/lib/stop-signal';
import { parseWrk } from '../bench/wrk';

// The pieces issue 14 made cheaper keep what they promised: log lines are the same JSON and still
// redacted, ids keep their format and do not repeat, the shared shutdown signal behaves as the
// AbortSignal it stands for.

describe('log lines', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, log: createLogger('info', (line) => lines.push(line)) };
  };

  it('are one JSON object per line with time, level, msg and the fields', () => {
    const { lines, log } = capture();
    log.info('request', { status: 200, tokens: { output: 3 }, skipped: undefined });
    log.warn('bare');
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const first = JSON.parse(lines[0]!);
    expect(first).toEqual({ time: expect.any(String), level: 'info', msg: 'request', status: 200, tokens: { output: 3 } });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(JSON.parse(lines[1]!)).toEqual({ time: expect.any(String), level: 'warn', msg: 'bare' });
    log.info('empty', {});
    expect(JSON.parse(lines[2]!)).toEqual({ time: expect.any(String), level: 'info', msg: 'empty' });
  });

  it('still scrub a secret that slipped into a field, whatever its case', () => {
    const { lines, log } = capture();
    log.info('oops', { header: 'BEARER abcdefghijklmnop', key: 'sk-gateway-0123456789abcdef' });
    expect(lines[0]).not.toContain('abcdefghijklmnop');
    expect(lines[0]).not.toContain('0123456789abcdef');
    expect(lines[0]).toContain('[redacted]');
  });

  it('below the level are not written', () => {
    const { lines, log } = capture();
    log.debug('quiet');
    expect(lines).toEqual([]);
  });
});

describe('ids', () => {
  it('keep their format and do not repeat across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = timeOrderedId('req_');
      expect(id).toMatch(/^req_[0-9a-z]{9}[0-9A-Za-z]{15}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
    expect(randomBase62(40)).toMatch(/^[0-9A-Za-z]{40}$/);
  });

  it('use every base62 character about as often (no character favoured)', () => {
    const counts = new Map<string, number>();
    const text = randomBase62(62_000);
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 1,000 expected each; a bias of the byte % 62 kind would put some near 1,300
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });
});

describe('sharedStopSignal', () => {
  it('runs each listener once on abort, not the removed ones, not those added after', () => {
    const controller = new AbortController();
    const signal = sharedStopSignal(controller.signal);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    signal.addEventListener('abort', a, { once: true });
    signal.addEventListener('abort', b, { once: true });
    signal.removeEventListener('abort', b);
    expect(signal.aborted).toBe(false);
    controller.abort('why');
    controller.abort('again');
    expect(calls).toEqual(['a']);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
    signal.addEventListener('abort', b);
    expect(calls).toEqual(['a']);
  });
});

describe("the bench's wrk reader", () => {
  it('reads the count, the errors, the time and the percentiles', () => {
    const out = `Running 10s test @ http://127.0.0.1:1234/v1/chat/completions
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.01ms    5.12ms 101.28ms   90.00%
  Latency Distribution
     50%    9.50ms
     75%   11.00ms
     90%   14.00ms
     99%  850.00us
  39490 requests in 10.00s, 30.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3949.00
`;
    expect(parseWrk(out)).toEqual({ count: 39483, errors: 10, seconds: 10, p50: 9.5, p99: 0.85 });
  });
});

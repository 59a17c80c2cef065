import { afterAll, describe, expect, it } from 'bun:test';
import { spawnedGateways } from '../helpers/spawned-gateways';

// Bun caps the HTTP requests one process sends at once (256 unless BUN_CONFIG_MAX_HTTP_REQUESTS
// says more), so the gateway's open streams to DeepSeek are capped too. The gateway warns at
// start when the cap is low, and with it raised holds more than 256 streams open at once.
// The client side uses raw sockets, which that cap does not apply to.

const STREAMS = 300;
const gateways = spawnedGateways('capacity', { tokensPerSecond: 4 });
afterAll(() => gateways.cleanUp());

const gateway = (env: Record<string, string>) => gateways.start(env, ['--budget', '100000', '--rpm', '0', '--concurrency', '0']);

/** Opens a stream over a raw socket; resolves true once the first SSE event has arrived. */
function openRawStream(port: number, key: string, sockets: { end(): void }[]): Promise<boolean> {
  const body = JSON.stringify({ model: 'deepseek-v4-flash', stream: true, messages: [{ role: 'user', content: 'a slow story #tokens=60' }] });
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(false), 8000);
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(socket) {
          sockets.push(socket);
          socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        },
        data(_socket, data) {
          text += data.toString('latin1');
          if (text.startsWith('HTTP/1.1 200') && text.includes('data: {')) {
            clearTimeout(timer);
            resolve(true);
          }
        },
        close() {
          clearTimeout(timer);
          resolve(false);
        },
      },
    });
  });
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

describe("Bun's cap on requests to DeepSeek", () => {
  it('is named in a warning at start when it is left at its default', async () => {
    const gw = await gateway({});
    gw.proc.kill('SIGTERM');
    expect(await gw.proc.exited).toBe(0);
    const warning = (await gw.output).split('\n').find((line) => line.includes('BUN_CONFIG_MAX_HTTP_REQUESTS'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', cap: 256 });
  });

  it(`once raised, lets ${STREAMS} streams be open to DeepSeek at the same time`, async () => {
    const gw = await gateway({ BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' });
    const sockets: { end(): void }[] = [];
    try {
      const opened = await Promise.all(Array.from({ length: STREAMS }, () => openRawStream(gw.port, gw.key, sockets)));
      expect(opened.filter(Boolean)).toHaveLength(STREAMS);
      expect(await metric(gw.url, 'tollgate_open_streams')).toBe(STREAMS);
    } finally {
      for (const socket of sockets) socket.end();
    }
    gw.proc.kill('SIGTERM');
    expect(await gw.proc.exited).toBe(0);
    expect(await gw.output).not.toContain('BUN_CONFIG_MAX_HTTP_REQUESTS');
  }, 30_000);
});

// The outbox across a crash: a gateway killed with SIGKILL while mail waits (the SMTP server
// down) sends it after the restart, once; what it had sent before is not sent again.

import { afterAll, describe, expect, it } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { waitFor } from '../helpers/checkout';
import { spawnGateway } from '../helpers/process';
import { spawnedGateways } from '../helpers/spawned-gateways';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp';

const gateways = spawnedGateways('mail-crash');
const smtp = await startSmtpServer();
afterAll(async () => {
  await gateways.cleanUp();
  await smtp.close();
});

const EMAIL = 'crash@example.com';
const to = (m: ReceivedMail) => m.to === EMAIL;

async function spend(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'spend #tokens=300' }], max_tokens: 400 }),
  });
  await res.text();
  return res.status;
}

function outboxRows(dir: string) {
  const db = new Database(join(dir, 'tollgate.sqlite'), { readonly: true });
  try {
    return db.query('SELECT kind, status, attempts FROM mail_outbox ORDER BY id').all() as { kind: string; status: string; attempts: number }[];
  } finally {
    db.close();
  }
}

describe('the mail outbox across a crash', () => {
  it('sends what waited when the gateway was killed after the restart, once, and nothing twice', { timeout: 90_000 }, async () => {
    const env = { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' };
    const first = await gateways.start(env, ['--email', EMAIL, '--budget', '0.02', '--rpm', '0', '--concurrency', '0']);
    // 80 %: the low-budget notice goes out while the SMTP server is up
    for (let i = 0; i < 100 && !outboxRows(first.dir).some((r) => r.kind === 'low_budget'); i++) expect(await spend(first.url, first.key)).toBe(200);
    await smtp.waitFor((m) => to(m) && m.subject.includes('80 %'));
    await waitFor(() => outboxRows(first.dir).find((r) => r.kind === 'low_budget' && r.status === 'sent'), 10_000, 'the low-budget row marked sent');

    // then the SMTP server goes down and the key is spent to the end: "exhausted" waits in the outbox
    await smtp.stop();
    for (let i = 0; i < 100 && (await spend(first.url, first.key)) === 200; i++);
    const waiting = await waitFor(() => outboxRows(first.dir).find((r) => r.kind === 'exhausted' && r.status === 'pending' && r.attempts >= 1), 10_000, 'a failed attempt');
    expect(waiting.attempts).toBeGreaterThanOrEqual(1);
    first.proc.kill('SIGKILL');
    await first.proc.exited;

    await smtp.restart();
    const second = await spawnGateway(['--data-dir', first.dir], { DEEPSEEK_API_KEY: 'sk-mail-crash-test', DEEPSEEK_BASE_URL: gateways.sim.url, TOLLGATE_LOG_LEVEL: 'info', ...env });
    try {
      await smtp.waitFor((m) => to(m) && m.subject.includes('used up'), 1, 30_000);
      await waitFor(() => outboxRows(first.dir).every((r) => r.status === 'sent'), 10_000, 'every row marked sent');
      await Bun.sleep(1500);
      expect(smtp.messages().filter(to).map((m) => m.subject)).toEqual(['[Tollgate] 80 % of your budget is used', '[Tollgate] Your budget is used up']);
    } finally {
      second.proc.kill('SIGTERM');
      await second.proc.exited;
    }
  });
});

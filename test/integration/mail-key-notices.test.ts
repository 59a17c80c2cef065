// The key's own mails: "low budget" at 80 % spent and "exhausted" at 100 %, each once per budget
// under concurrent spending (queued in the settle transaction), armed again by a top-up; and
// "expiring" three days before the key expires, once per expiry.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { parseUsd } from '../../server/lib/money';
import { waitFor } from '../helpers/checkout';
import { startSmtpServer, type ReceivedMail, type SmtpServer } from '../helpers/smtp';
import { bearer, startStack, type Stack } from '../helpers/stack';

let smtp: SmtpServer;
let stack: Stack;
const DAY_MS = 86_400_000;

const to = (email: string) => (m: ReceivedMail) => m.to === email;
const outbox = (email: string) => stack.gw.deps.database!.sqlite.query('SELECT * FROM mail_outbox WHERE to_email = ? ORDER BY id').all(email) as Record<string, any>[];

async function spend(key: string, tokens: number): Promise<number> {
  const res = await fetch(`${stack.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: bearer(key),
    body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: `spend #tokens=${tokens}` }], max_tokens: 400 }),
  });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  stack = await startStack({ env: { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'Tollgate <noreply@tollgate.test>', TOLLGATE_MAIL_RETRY_SECONDS: '1' } });
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

describe('budget notices', () => {
  it('mails "low budget" and "exhausted" once each while eight clients spend the key down at once', { timeout: 60_000 }, async () => {
    const email = 'spender@example.com';
    const { key, row } = await stack.gw.deps.metering.createKey({ planId: 'pro', email, budgetNano: parseUsd('0.01'), rpmOverride: 0, concurrencyOverride: 0 });
    let refused = false;
    for (let round = 0; round < 40 && !refused; round++) {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => spend(key, 300)));
      refused = statuses.some((status) => status === 402);
    }
    expect(refused).toBe(true);
    // A 402 among concurrent requests can be the others' holds; alone, one more is refused only
    // once the settled spend leaves less than such a request needs: that is "used up".
    for (let i = 0; i < 40 && (await spend(key, 300)) === 200; i++);
    const spent = (await stack.gw.deps.metering.keyById(row.id))!;
    expect(spent.spentNano).toBeGreaterThanOrEqual(spent.budgetNano * 0.8);

    const mails = await smtp.waitFor(to(email), 2);
    await stack.gw.deps.mail.runNow();
    await Bun.sleep(300);
    const all = smtp.messages().filter(to(email));
    expect(all.map((m) => m.subject)).toEqual(['[Tollgate] 80 % of your budget is used', '[Tollgate] Your budget is used up']);
    expect(mails[0]!.text).toContain(row.keyHint);
    expect(mails[0]!.text).toContain('of its $0.01 budget');
    expect(mails[1]!.text).toContain('Top up this key');
    expect(outbox(email).map((r) => r.dedupe_key)).toEqual([`low_budget:${row.id}:${parseUsd('0.01')}`, `exhausted:${row.id}:${parseUsd('0.01')}`]);
    // the key itself is never in them
    expect(all.some((m) => m.text.includes(key) || m.html.includes(key))).toBe(false);
  });

  it('arms both again after a top-up, in the language of the order that paid for the key', { timeout: 60_000 }, async () => {
    const email = 'topped@example.com';
    const metering = stack.gw.deps.metering;
    const { key, row } = await metering.createKey({ planId: 'pro', email, budgetNano: parseUsd('0.004'), rpmOverride: 0, concurrencyOverride: 0, lang: 'zh' });
    for (let i = 0; i < 30 && (await spend(key, 300)) === 200; i++);
    await smtp.waitFor(to(email), 2);
    // what a paid top-up does to the budget (checkout-topup tests the PayPal side)
    await metering.updateKey(row.id, { budgetNano: (await metering.keyById(row.id))!.budgetNano + parseUsd('0.004') });
    for (let i = 0; i < 30 && (await spend(key, 300)) === 200; i++);
    const mails = await smtp.waitFor(to(email), 4);
    expect(mails.map((m) => m.subject)).toEqual(['[Tollgate] 您的额度已用掉 80%', '[Tollgate] 您的额度已用完', '[Tollgate] 您的额度已用掉 80%', '[Tollgate] 您的额度已用完']);
  });

  it('sends nothing for a key without an email address', async () => {
    const count = () => stack.gw.deps.database!.sqlite.query('SELECT count(*) AS n FROM mail_outbox').get() as { n: number };
    const before = count();
    const { key, row } = await stack.gw.deps.metering.createKey({ planId: 'pro', budgetNano: parseUsd('0.003'), rpmOverride: 0, concurrencyOverride: 0 });
    let spent = 0;
    for (let i = 0; i < 20 && (await spend(key, 300)) === 200; i++) spent++;
    expect(spent).toBeGreaterThan(2);
    expect((await stack.gw.deps.metering.keyById(row.id))!.spentNano).toBeGreaterThan(parseUsd('0.003') * 0.8);
    expect(count()).toEqual(before);
  });
});

describe('the expiring notice', () => {
  it('goes once, three days before the key expires, and again after a later expiry', { timeout: 30_000 }, async () => {
    const metering = stack.gw.deps.metering;
    const email = 'expiring@example.com';
    const soon = await metering.createKey({ planId: 'pro', email, expiresDays: 30 });
    await metering.updateKey(soon.row.id, { expiresAt: Date.now() + 2 * DAY_MS });
    const later = await metering.createKey({ planId: 'pro', email: 'later@example.com', expiresDays: 30 });
    expect(await stack.gw.deps.mail.sweepNow()).toBeGreaterThanOrEqual(1);
    await stack.gw.deps.mail.sweepNow();
    const [mail] = await smtp.waitFor(to(email));
    expect(mail!.subject).toStartWith('[Tollgate] Your key expires on ');
    expect(mail!.text).toContain(soon.row.keyHint);
    await stack.gw.deps.mail.runNow();
    expect(smtp.messages().filter(to(email))).toHaveLength(1);
    expect(outbox('later@example.com')).toHaveLength(0);
    expect(later.row.expiresAt).toBeGreaterThan(Date.now() + 3 * DAY_MS);

    await metering.updateKey(soon.row.id, { expiresAt: Date.now() + 2.5 * DAY_MS });
    await stack.gw.deps.mail.sweepNow();
    await waitFor(() => smtp.messages().filter(to(email)).length === 2, 10_000, 'a second notice for the new expiry');
  });
});

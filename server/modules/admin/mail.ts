import { Elysia } from 'elysia';
import { detail, pageOf, type AdminContext } from './context';
import { MailIdParams, MailList, MailQuery, MailView } from './model';
import { mailView } from './views';

/** The mail outbox: what was sent, what waits (and why), what failed with the SMTP server's answer. */
export function mailRoutes(ctx: AdminContext) {
  const { mail } = ctx.deps;
  return new Elysia({ name: 'admin-mail', prefix: '/admin/api' })
    .get(
      '/mail',
      async ({ query }) => {
        const { rows, total } = await mail.list({ status: query.status, q: query.q?.trim() || undefined }, pageOf(query));
        return { enabled: mail.enabled, server: mail.server, from: mail.from, counts: await mail.counts(), data: rows.map(mailView), total };
      },
      { query: MailQuery, response: MailList, detail: detail('The mail outbox, newest first', '`q` matches the address, an order id or a key id.') },
    )
    .post(
      '/mail/:id/resend',
      async ({ params, request, server }) => {
        const before = await mail.byId(params.id);
        const row = await mail.resend(params.id);
        const data = mailView(row);
        await ctx.audit({ request, server }, 'mail.resend', String(params.id), before ? { status: before.status, attempts: before.attempts } : null, { id: row.id, status: row.status, kind: row.kind, to: row.toEmail });
        return data;
      },
      {
        params: MailIdParams,
        response: MailView,
        detail: detail('Sends a mail again', 'A failed or waiting mail is tried again now (the same row); a sent one is queued again as a new row, marked `resend`. 503 `mail_disabled` when mail is off.'),
      },
    );
}

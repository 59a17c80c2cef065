import type { MailLang } from '../../db/schema';
import { parseUsd } from '../../lib/money';
import type { OutboxRow } from './outbox';
import { MAIL_TEXTS } from './texts';

// One mail from an outbox row: subject, plain text and a simple HTML part, in the row's language.
// Rendered when sent, so the key is read from its sealed column then and never stored in the outbox.

export interface RenderContext {
  siteName: string;
  publicUrl: string;
  /** the key's hint, and its secret where the mail carries it (receipts) */
  keyOf(keyId: string): { hint: string; secret: string } | undefined;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export class RenderError extends Error {}

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, name: string) => values[name] ?? m);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "5.000000000" → "$5.00"; sub-cent amounts keep the digits they need ("$0.000123"). */
export function usdText(usd: string): string {
  const nano = parseUsd(usd);
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  const whole = Math.floor(abs / 1e9);
  const fraction = String(abs % 1e9).padStart(9, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$${whole}.${fraction}`;
}

const dateText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const str = (params: Record<string, unknown>, name: string): string => {
  const value = params[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RenderError(`the outbox row has no ${name}`);
};
const optional = (params: Record<string, unknown>, name: string): string | null => (typeof params[name] === 'string' ? (params[name] as string) : null);

interface Body {
  subject: string;
  lead: string[];
  facts: [string, string, 'code'?][];
  after: string[];
}

function receipt(row: OutboxRow, ctx: RenderContext, lang: MailLang): Body {
  const t = MAIL_TEXTS[lang];
  const p = row.params;
  const topup = p.topup === true;
  const key = ctx.keyOf(str(p, 'key_id'));
  if (!key) throw new RenderError(`key ${str(p, 'key_id')} no longer exists`);
  const days = Number(p.validity_days ?? 0);
  const expires = optional(p, 'expires_at');
  const links = { orderPage: `${ctx.publicUrl}/order`, dashboard: `${ctx.publicUrl}/dashboard` };
  const facts: Body['facts'] = [
    [t.receipt.order, str(p, 'order_id'), 'code'],
    [t.receipt.paypalOrder, optional(p, 'paypal_order_id') ?? '—', 'code'],
    [t.receipt.plan, str(p, 'plan_name')],
    [t.receipt.amount, usdText(str(p, 'amount_usd'))],
    [topup ? t.receipt.budgetTopup : t.receipt.budget, usdText(str(p, 'budget_added_usd'))],
    [t.receipt.validity, days > 0 ? fill(t.receipt.validityDays, { days: String(days) }) : t.receipt.validityNone],
  ];
  if (expires) facts.push([t.receipt.expires, dateText(expires)]);
  facts.push([t.receipt.baseUrl, `${ctx.publicUrl}/v1`, 'code'], [t.receipt.key, key.secret, 'code']);
  return {
    subject: fill(topup ? t.receipt.subjectTopup : t.receipt.subject, { site: ctx.siteName, order: str(p, 'order_id') }),
    lead: [...(row.resend ? [t.receipt.resent] : []), topup ? t.receipt.leadTopup : t.receipt.lead],
    facts,
    after: [fill(t.receipt.keyNote, links), fill(t.receipt.dashboard, links)],
  };
}

function keyNotice(row: OutboxRow, ctx: RenderContext, lang: MailLang): Body {
  const t = MAIL_TEXTS[lang];
  const p = row.params;
  const key = ctx.keyOf(str(p, 'key_id'));
  if (!key) throw new RenderError(`key ${str(p, 'key_id')} no longer exists`);
  const dashboard = `${ctx.publicUrl}/dashboard`;
  const values = (extra: Record<string, string>) => ({ site: ctx.siteName, hint: key.hint, remaining: usdText(str(p, 'remaining_usd')), ...extra });
  if (row.kind === 'expiring') {
    const date = dateText(str(p, 'expires_at'));
    const v = values({ date });
    return { subject: fill(t.expiring.subject, v), lead: [fill(t.expiring.lead, v)], facts: [], after: [fill(t.topUpHint, { dashboard })] };
  }
  const texts = row.kind === 'exhausted' ? t.exhausted : t.lowBudget;
  const v = values({ spent: usdText(str(p, 'spent_usd')), budget: usdText(str(p, 'budget_usd')) });
  return { subject: fill(texts.subject, v), lead: [fill(texts.lead, v)], facts: [], after: [fill(t.topUpHint, { dashboard })] };
}

export function renderMail(row: OutboxRow, ctx: RenderContext): RenderedMail {
  const lang: MailLang = row.lang === 'zh' ? 'zh' : 'en';
  const t = MAIL_TEXTS[lang];
  const body = row.kind === 'receipt' ? receipt(row, ctx, lang) : keyNotice(row, ctx, lang);
  const signature = fill(t.signature, { site: ctx.siteName });
  const footer = fill(t.footer, { site: ctx.siteName, url: ctx.publicUrl });
  const width = Math.max(0, ...body.facts.map(([label]) => label.length));
  const text = [
    t.greeting,
    '',
    ...body.lead.flatMap((line) => [line, '']),
    ...(body.facts.length ? [...body.facts.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`), ''] : []),
    ...body.after.flatMap((line) => [line, '']),
    signature,
    '',
    footer,
    '',
  ].join('\n');
  const paragraph = (line: string) => `<p>${escapeHtml(line)}</p>`;
  const cell = (value: string, code?: 'code') => (code ? `<code style="font-family:monospace;word-break:break-all">${escapeHtml(value)}</code>` : escapeHtml(value));
  const facts = body.facts.length
    ? `<table style="border-collapse:collapse;margin:1em 0">${body.facts
        .map(([label, value, code]) => `<tr><th style="text-align:left;padding:4px 12px 4px 0;vertical-align:top">${escapeHtml(label)}</th><td style="padding:4px 0">${cell(value, code)}</td></tr>`)
        .join('')}</table>`
    : '';
  const html = [
    `<!doctype html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${escapeHtml(body.subject)}</title></head>`,
    '<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:640px">',
    paragraph(t.greeting),
    ...body.lead.map(paragraph),
    facts,
    ...body.after.map(paragraph),
    paragraph(signature),
    `<p style="color:#666;font-size:smaller">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: body.subject, text, html };
}

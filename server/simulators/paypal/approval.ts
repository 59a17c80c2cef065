// The buyer's approval page at the order's approve / payer-action link:
// GET {base}/checkoutnow?token=ORDER_ID shows the order; the form POSTs back with Pay or Cancel.

import type { SimContext } from './context';
import type { OrderRec } from './state';
import { escapeHtml } from './util';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f7fa;margin:0;color:#1c1c1c}
.banner{background:#ffd140;text-align:center;padding:6px;font-size:13px}
main{max-width:420px;margin:40px auto;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:28px}
h1{font-size:20px;margin:0 0 4px;color:#003087}
.merchant{color:#555;margin-bottom:20px}
.amount{font-size:32px;font-weight:600;margin:8px 0 4px}
.desc{color:#555;margin-bottom:20px}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;font-size:13px;color:#555;margin:0 0 24px}
dt{font-weight:600}
button{display:block;width:100%;padding:12px;border-radius:24px;font-size:16px;cursor:pointer;margin-top:10px}
#pay{background:#0070ba;color:#fff;border:0;font-weight:600}
#cancel{background:#fff;color:#0070ba;border:1px solid #0070ba}
.note{font-size:13px;color:#555;margin-top:16px}`;

function page(title: string, inner: string, status = 200): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><div class="banner">PayPal simulator &mdash; no real money moves</div><main>${inner}</main></body></html>`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

function merchant(o: OrderRec): string {
  return o.brandName ?? 'Tollgate (simulated merchant)';
}

function orderPage(ctx: SimContext, o: OrderRec): Response {
  const action = `${ctx.cfg.basePath}/checkoutnow`;
  const head = `<h1>Pay with PayPal</h1><div class="merchant">to <strong id="merchant">${escapeHtml(merchant(o))}</strong></div>
<div class="amount" id="amount">${escapeHtml(o.amount.value)} ${escapeHtml(o.amount.currency_code)}</div>
${o.description ? `<div class="desc" id="description">${escapeHtml(o.description)}</div>` : ''}
<dl><dt>Order</dt><dd id="order-id">${escapeHtml(o.id)}</dd><dt>Status</dt><dd id="order-status">${escapeHtml(o.status)}</dd></dl>`;
  if (o.status === 'COMPLETED' || o.status === 'VOIDED') {
    const back = ctx.returnRedirect(o);
    return page('PayPal Checkout', `${head}<p class="note">This order has already been ${o.status === 'COMPLETED' ? 'paid' : 'voided'}.</p>${
      back ? `<p><a id="return" href="${escapeHtml(back)}">Return to ${escapeHtml(merchant(o))}</a></p>` : ''}`);
  }
  const payLabel = o.userAction === 'CONTINUE' ? 'Continue' : 'Pay Now';
  return page(
    'PayPal Checkout',
    `${head}<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(o.id)}">
<button type="submit" id="pay" name="action" value="pay">${payLabel}</button>
<button type="submit" id="cancel" name="action" value="cancel">Cancel and return to ${escapeHtml(merchant(o))}</button>
</form><p class="note">Signed in as sb-buyer@personal.example.com (simulated buyer).</p>`,
  );
}

const unknownOrder = () =>
  page('PayPal Checkout', '<h1>Something went wrong</h1><p class="note" id="error">This checkout session is unknown or has expired.</p>', 404);

export function showApproval(ctx: SimContext, req: Request): Response {
  const token = new URL(req.url).searchParams.get('token') ?? '';
  const o = ctx.order(token);
  return o ? orderPage(ctx, o) : unknownOrder();
}

const redirect = (location: string) => new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });

export async function submitApproval(ctx: SimContext, req: Request): Promise<Response> {
  const form = new URLSearchParams(await req.text());
  const token = form.get('token') ?? new URL(req.url).searchParams.get('token') ?? '';
  const o = ctx.order(token);
  if (!o) return unknownOrder();
  if (form.get('action') === 'cancel') {
    const to = ctx.cancelRedirect(o);
    return to ? redirect(to) : page('PayPal Checkout', '<h1>Payment cancelled</h1><p class="note" id="cancelled">You cancelled this payment. You can close this window.</p>');
  }
  const res = ctx.approve(o, ctx.base(req));
  if (!res.ok) return orderPage(ctx, o);
  const to = ctx.returnRedirect(o);
  return to ? redirect(to) : page('PayPal Checkout', '<h1>Payment approved</h1><p class="note" id="approved">You can close this window and return to the merchant.</p>');
}

// Orders v2 capture: the capture itself, the 422s PayPal answers instead, and the 6-hour memory
// of what each PayPal-Request-Id got.

import type { CaptureIssue, SimContext } from './context';
import { paypalFee } from './money';
import { approveHref, renderOrder, type Base } from './render';
import type { CaptureRec, OrderRec } from './state';
import { json, malformedJson, newDebugId, newResourceId, notFound, paypalTime, ppError, readJson } from './util';

const wantsRepresentation = (req: Request) => /return=representation/i.test(req.headers.get('prefer') ?? '');

function requestId(req: Request): string | undefined {
  const v = req.headers.get('paypal-request-id');
  return v === null || v === '' ? undefined : v;
}

/** PayPal's descriptions of the capture 422s (Orders v2 `orders.capture-422`). */
const CAPTURE_ISSUE_TEXT: Record<CaptureIssue | 'ORDER_NOT_APPROVED' | 'ORDER_ALREADY_CAPTURED', string> = {
  INSTRUMENT_DECLINED: "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.",
  REDIRECT_PAYER_FOR_ALTERNATE_FUNDING: 'Transaction failed. Redirect the payer to select another funding source.',
  PAYER_ACTION_REQUIRED: 'Transaction cannot complete successfully, instruct the buyer to return to PayPal.',
  MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED: 'You have exceeded the maximum number of payment attempts.',
  ORDER_COMPLETION_IN_PROGRESS:
    'The order was created with processing_instruction of ORDER_COMPLETE_ON_PAYMENT_APPROVAL. The customer has approved the payment and PayPal is still in the process of capturing the order on your behalf as instructed. Please try your request again.',
  ORDER_NOT_APPROVED:
    "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request.",
  ORDER_ALREADY_CAPTURED: "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
};

function captureError(issue: keyof typeof CAPTURE_ISSUE_TEXT, links: { href: string; rel: string; method: string }[] = []): Response {
  return ppError(422, 'UNPROCESSABLE_ENTITY', [{ issue, description: CAPTURE_ISSUE_TEXT[issue] }], 'orders/v2', links);
}

/** The funding failed: the buyer has to go back to PayPal (approve again, pick another source, or act). */
function sendBuyerBack(ctx: SimContext, o: OrderRec, issue: CaptureIssue, base: Base): Response {
  o.status = issue === 'PAYER_ACTION_REQUIRED' ? 'PAYER_ACTION_REQUIRED' : o.initialStatus;
  delete o.payer;
  ctx.touch(o);
  const rel = issue === 'PAYER_ACTION_REQUIRED' ? 'payer-action' : 'redirect';
  return captureError(issue, [{ href: approveHref(base, o.id), rel, method: 'GET' }]);
}

function newCapture(ctx: SimContext, o: OrderRec, pending: boolean): CaptureRec {
  const now = paypalTime();
  const cap: CaptureRec = {
    id: newResourceId(),
    orderId: o.id,
    status: pending ? 'PENDING' : 'COMPLETED',
    amount: { ...o.amount },
    minor: o.minor,
    fee: paypalFee(o.minor, o.amount.currency_code),
    refundedMinor: 0n,
    refundIds: [],
    createTime: now,
    updateTime: now,
  };
  if (pending) cap.statusReason = 'PENDING_REVIEW';
  if (o.customId !== undefined) cap.customId = o.customId;
  if (o.invoiceId !== undefined) cap.invoiceId = o.invoiceId;
  ctx.state.captures.set(cap.id, cap);
  o.captureIds.push(cap.id);
  o.status = 'COMPLETED';
  ctx.touch(o);
  return cap;
}

/**
 * POST /v2/checkout/orders/{id}/capture. What a request with a PayPal-Request-Id got (the capture,
 * or a decline) is what every repeat with that id gets for 6 hours: after a decline the buyer
 * approves again and only a new request id captures.
 */
export async function captureOrder(ctx: SimContext, req: Request, id: string, path: string): Promise<Response> {
  const o = ctx.order(id);
  if (!o) return notFound();
  const body = await readJson(req);
  if (body instanceof Error) return malformedJson();
  const base = ctx.base(req);
  const view = wantsRepresentation(req) ? 'full' : 'capture-minimal';
  const rid = requestId(req);
  const idemKey = rid === undefined ? undefined : `capture|${o.id}|${rid}`;
  const earlier = idemKey === undefined ? undefined : ctx.remembered(idemKey);
  if (earlier?.error) {
    return new Response(earlier.error.body, { status: earlier.error.status, headers: { 'content-type': 'application/json', 'paypal-debug-id': newDebugId() } });
  }
  if (earlier) return json(renderOrder(o, ctx.state, base, view), 200);
  if (o.status === 'COMPLETED') return captureError('ORDER_ALREADY_CAPTURED');
  if (o.attemptsExhausted) return rememberError(ctx, idemKey, captureError('MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED'));
  if (o.status !== 'APPROVED') return captureError('ORDER_NOT_APPROVED');

  const injected = ctx.takeFailure(path, ['declined', 'pending', '422']);
  const issue: CaptureIssue | undefined = injected?.fail === 'declined' ? 'INSTRUMENT_DECLINED' : injected?.issue;
  switch (issue) {
    case 'INSTRUMENT_DECLINED':
    case 'REDIRECT_PAYER_FOR_ALTERNATE_FUNDING':
    case 'PAYER_ACTION_REQUIRED':
      return rememberError(ctx, idemKey, sendBuyerBack(ctx, o, issue, base));
    case 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED':
      o.attemptsExhausted = true;
      ctx.touch(o);
      return rememberError(ctx, idemKey, captureError(issue));
    case 'ORDER_COMPLETION_IN_PROGRESS': {
      // PayPal is capturing it anyway: the capture lands (and its webhook goes out), the answer says "later".
      const cap = newCapture(ctx, o, false);
      ctx.remember(idemKey, { resourceId: o.id });
      void ctx.emitCaptureEvent('PAYMENT.CAPTURE.COMPLETED', cap, base);
      return captureError(issue);
    }
    default:
      break;
  }
  const cap = newCapture(ctx, o, injected?.fail === 'pending');
  ctx.remember(idemKey, { resourceId: o.id });
  void ctx.emitCaptureEvent(cap.status === 'PENDING' ? 'PAYMENT.CAPTURE.PENDING' : 'PAYMENT.CAPTURE.COMPLETED', cap, base);
  return json(renderOrder(o, ctx.state, base, view), 201);
}

/** Keeps a decline for the request id that got it, so a repeat gets it again. */
async function rememberError(ctx: SimContext, key: string | undefined, res: Response): Promise<Response> {
  const text = await res.clone().text();
  ctx.remember(key, { error: { status: res.status, body: text } });
  return res;
}

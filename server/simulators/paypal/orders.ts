// Orders v2: create, show, capture.

import type { CaptureIssue, SimContext } from './context';
import { formatMinor, paypalFee, parseAmount } from './money';
import { approveHref, renderOrder, type Base } from './render';
import type { CaptureRec, OrderRec } from './state';
import {
  type ErrorDetail, invalidRequest, isAbsoluteHttpUrl, isObject, json, malformedJson, newDebugId, newResourceId,
  notFound, paypalTime, ppError, readJson, unprocessable,
} from './util';

// PayPal's own descriptions for these issues on orders.create (Orders v2 `400` schema).
const MISSING = 'A required parameter is missing.';
const TOO_LONG = 'The value of a field is either too short or too long';
const INVALID_VALUE = 'A parameter value is not valid.';

function wantsRepresentation(req: Request): boolean {
  return /return=representation/i.test(req.headers.get('prefer') ?? '');
}

function requestId(req: Request): string | undefined {
  const v = req.headers.get('paypal-request-id');
  return v === null || v === '' ? undefined : v;
}

type Str = { ok: true; value: string | undefined } | { ok: false; detail: ErrorDetail };

function optString(obj: Record<string, unknown>, key: string, field: string, max: number): Str {
  const v = obj[key];
  if (v === undefined || v === null) return { ok: true, value: undefined };
  if (typeof v !== 'string') {
    return { ok: false, detail: { field, value: String(v), location: 'body', issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' } };
  }
  if (v.length < 1 || v.length > max) {
    return { ok: false, detail: { field, value: v, location: 'body', issue: 'INVALID_STRING_LENGTH', description: TOO_LONG } };
  }
  return { ok: true, value: v };
}

function optUrl(obj: Record<string, unknown>, key: string, field: string): Str {
  const s = optString(obj, key, field, 4000);
  if (s.ok && s.value !== undefined && !isAbsoluteHttpUrl(s.value)) {
    return { ok: false, detail: { field, value: s.value, location: 'body', issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' } };
  }
  return s;
}

export async function createOrder(ctx: SimContext, req: Request): Promise<Response> {
  const body = await readJson(req);
  if (body instanceof Error) return malformedJson();
  if (!isObject(body)) return invalidRequest([{ field: '/', location: 'body', issue: 'MISSING_REQUIRED_PARAMETER', description: MISSING }]);
  const base = ctx.base(req);
  const rid = requestId(req);
  if (rid !== undefined) {
    const existing = ctx.order(ctx.remembered(`create|${rid}`)?.resourceId ?? '');
    if (existing) return json(renderOrder(existing, ctx.state, base, wantsRepresentation(req) ? 'full' : 'create-minimal'), 200);
  }
  if (body.payment_source !== undefined && rid === undefined) {
    return invalidRequest([
      {
        field: 'PayPal-Request-Id',
        location: 'header',
        issue: 'PAYPAL_REQUEST_ID_REQUIRED',
        description: "A PayPal-Request-Id is required if you are trying to process payment for an Order. Please specify a PayPal-Request-Id or Create the Order without a 'payment_source' specified.",
      },
    ]);
  }

  if (body.intent === undefined) return invalidRequest([{ field: '/intent', location: 'body', issue: 'MISSING_REQUIRED_PARAMETER', description: MISSING }]);
  if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE') {
    return invalidRequest([{ field: '/intent', value: String(body.intent), location: 'body', issue: 'INVALID_PARAMETER_VALUE', description: INVALID_VALUE }]);
  }
  if (body.intent === 'AUTHORIZE') {
    return unprocessable('UNSUPPORTED_INTENT', 'The simulator implements intent CAPTURE only (`intent=AUTHORIZE` is not supported).', { field: '/intent', value: 'AUTHORIZE', location: 'body' });
  }
  const units = body.purchase_units;
  if (!Array.isArray(units) || units.length === 0) {
    return invalidRequest([{ field: '/purchase_units', location: 'body', issue: 'MISSING_REQUIRED_PARAMETER', description: MISSING }]);
  }
  if (units.length > 1) {
    return unprocessable('MULTIPLE_PURCHASE_UNITS_NOT_SUPPORTED', 'The simulator supports exactly one purchase unit.', { field: '/purchase_units', location: 'body' });
  }
  const pu = units[0];
  if (!isObject(pu)) return invalidRequest([{ field: '/purchase_units/0', location: 'body', issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.' }]);
  const ref = optString(pu, 'reference_id', '/purchase_units/0/reference_id', 256);
  if (!ref.ok) return invalidRequest([ref.detail]);
  const referenceId = ref.value ?? 'default';
  const at = `/purchase_units/@reference_id=='${referenceId}'`;

  const amount = parseAmount(pu.amount, `${at}/amount`);
  if (!amount.ok) return amount.status === 400 ? invalidRequest([amount.detail]) : ppError(422, 'UNPROCESSABLE_ENTITY', [amount.detail]);

  const strings = {
    customId: optString(pu, 'custom_id', `${at}/custom_id`, 127),
    invoiceId: optString(pu, 'invoice_id', `${at}/invoice_id`, 127),
    description: optString(pu, 'description', `${at}/description`, 127),
    softDescriptor: optString(pu, 'soft_descriptor', `${at}/soft_descriptor`, 22),
  };
  for (const s of Object.values(strings)) if (!s.ok) return invalidRequest([s.detail]);

  // Approval experience: payment_source.paypal.experience_context (current) or application_context (deprecated).
  let usesPaymentSource = false;
  let exp: Record<string, unknown> = {};
  let expField = '/application_context';
  if (body.payment_source !== undefined) {
    if (!isObject(body.payment_source) || !isObject(body.payment_source.paypal)) {
      return unprocessable('PAYMENT_SOURCE_NOT_SUPPORTED', 'The simulator supports payment_source.paypal only.', { field: '/payment_source', location: 'body' });
    }
    usesPaymentSource = true;
    const ec = body.payment_source.paypal.experience_context;
    if (isObject(ec)) exp = ec;
    expField = '/payment_source/paypal/experience_context';
  } else if (isObject(body.application_context)) {
    exp = body.application_context;
  }
  const returnUrl = optUrl(exp, 'return_url', `${expField}/return_url`);
  const cancelUrl = optUrl(exp, 'cancel_url', `${expField}/cancel_url`);
  const brand = optString(exp, 'brand_name', `${expField}/brand_name`, 127);
  const action = optString(exp, 'user_action', `${expField}/user_action`, 20);
  for (const s of [returnUrl, cancelUrl, brand, action]) if (!s.ok) return invalidRequest([s.detail]);
  if (!returnUrl.ok || !cancelUrl.ok || !brand.ok || !action.ok) return invalidRequest([]); // (narrowing only)

  const invoiceId = strings.invoiceId.ok ? strings.invoiceId.value : undefined;
  if (invoiceId !== undefined && ctx.state.invoices.has(invoiceId)) {
    return unprocessable(
      'DUPLICATE_INVOICE_ID',
      'Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction.',
      { field: `${at}/invoice_id`, value: invoiceId, location: 'body' },
    );
  }

  const now = paypalTime();
  const initial = usesPaymentSource ? 'PAYER_ACTION_REQUIRED' : 'CREATED';
  const order: OrderRec = {
    id: newResourceId(),
    intent: 'CAPTURE',
    status: initial,
    initialStatus: initial,
    linkRel: usesPaymentSource ? 'payer-action' : 'approve',
    usesPaymentSource,
    referenceId,
    amount: { currency_code: amount.currency, value: formatMinor(amount.minor, amount.currency) },
    minor: amount.minor,
    captureIds: [],
    createdMs: ctx.now(),
    createTime: now,
    updateTime: now,
  };
  if (strings.customId.ok && strings.customId.value !== undefined) order.customId = strings.customId.value;
  if (invoiceId !== undefined) order.invoiceId = invoiceId;
  if (strings.description.ok && strings.description.value !== undefined) order.description = strings.description.value;
  if (strings.softDescriptor.ok && strings.softDescriptor.value !== undefined) order.softDescriptor = strings.softDescriptor.value;
  if (returnUrl.value !== undefined) order.returnUrl = returnUrl.value;
  if (cancelUrl.value !== undefined) order.cancelUrl = cancelUrl.value;
  if (brand.value !== undefined) order.brandName = brand.value;
  if (action.value !== undefined) order.userAction = action.value;

  ctx.state.orders.set(order.id, order);
  if (invoiceId !== undefined) ctx.state.invoices.set(invoiceId, order.id);
  ctx.remember(rid === undefined ? undefined : `create|${rid}`, { resourceId: order.id });
  // PayPal answers 200 for orders that need payer action (payment_source flow) and 201 Created otherwise.
  const status = order.status === 'PAYER_ACTION_REQUIRED' ? 200 : 201;
  return json(renderOrder(order, ctx.state, base, wantsRepresentation(req) ? 'full' : 'create-minimal'), status);
}

export function getOrder(ctx: SimContext, req: Request, id: string): Response {
  const o = ctx.order(id);
  if (!o) return notFound();
  return json(renderOrder(o, ctx.state, ctx.base(req)));
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

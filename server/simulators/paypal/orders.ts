// Orders v2: create and show (capture is in capture.ts).

import type { SimContext } from './context';
import { formatMinor, parseAmount } from './money';
import { renderOrder } from './render';
import type { OrderRec } from './state';
import {
  type ErrorDetail, invalidRequest, isAbsoluteHttpUrl, isObject, json, malformedJson, newResourceId,
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

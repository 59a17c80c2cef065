// PayPal's published OpenAPI documents (test/contracts/paypal/, see the README there) as a checker:
// an HTTP answer is looked up by method and path among their operations and validated with ajv
// against that operation's response schema; a webhook event against Webhooks v1 `event`, and its
// resource against the Payments / Orders schema its resource_type names.

import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type J = Record<string, any>;

const DOCUMENTS = {
  orders: 'checkout_orders_v2.json',
  payments: 'payments_payment_v2.json',
  webhooks: 'notifications_webhooks_v1.json',
} as const;
type DocName = keyof typeof DOCUMENTS;

/** One HTTP answer as a client saw it; `path` is PayPal's path (no base path, no query). */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
  /** the PayPal-Request-Id the request carried */
  requestId?: string;
}

export interface Verdict {
  /** `operationId` of the matched operation, null when no document has this path */
  operation: string | null;
  errors: string[];
}

interface Operation {
  doc: DocName;
  method: string;
  template: string;
  pattern: RegExp;
  spec: J;
}

let loaded: { docs: Record<DocName, J>; ajv: Ajv; operations: Operation[] } | undefined;

function load() {
  if (loaded) return loaded;
  const docs = Object.fromEntries(
    Object.entries(DOCUMENTS).map(([name, file]) => [name, JSON.parse(readFileSync(join(import.meta.dir, 'paypal', file), 'utf8')) as J]),
  ) as Record<DocName, J>;
  // PayPal's documents are OpenAPI 3.0: keywords such as `x-enumDescriptions`, `discriminator` and
  // `example` are not JSON Schema, and a few patterns are not valid as unicode regular expressions.
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true, unicodeRegExp: false });
  addFormats(ajv);
  for (const format of ['merchant_common_email_address_v2', 'payer_v1', 'ppaas_common_country_code_v2', 'ppaas_common_currency_code_v2', 'ppaas_common_email_address_v2', 'ppaas_common_language_v3', 'ppaas_date_notime_v2', 'ppaas_date_time_v3', 'ppaas_ip_address_v1', 'ppaas_payer_id_v3']) {
    // PayPal's own format names: each schema that uses one also gives the pattern that decides it.
    ajv.addFormat(format, true);
  }
  for (const [name, doc] of Object.entries(docs)) ajv.addSchema(doc, name);
  const operations: Operation[] = [];
  for (const [doc, spec] of Object.entries(docs) as [DocName, J][]) {
    for (const [template, item] of Object.entries(spec.paths as J)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries(item as J)) {
        if (typeof op === 'object' && op !== null && 'responses' in op) operations.push({ doc, method: method.toUpperCase(), template, pattern, spec: op as J });
      }
    }
  }
  loaded = { docs, ajv, operations };
  return loaded;
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
const validators = new Map<string, ValidateFunction>();

function validatorFor(ref: string): ValidateFunction {
  let v = validators.get(ref);
  if (!v) {
    v = load().ajv.compile({ $ref: ref });
    validators.set(ref, v);
  }
  return v;
}

function errorsOf(v: ValidateFunction, value: unknown, where: string): string[] {
  if (v(value)) return [];
  const all = v.errors ?? [];
  // An anyOf (PayPal's lists of issues) fails with one error per branch: say it once, with the value.
  const choices = all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const insideChoice = (schemaPath: string) => choices.some((c) => schemaPath.startsWith(`${c.schemaPath}/`));
  return all
    .filter((e) => !insideChoice(e.schemaPath))
    .slice(0, 8)
    .map((e) =>
      choices.includes(e)
        ? `${where}${e.instancePath || '/'} is none of the documented choices: ${JSON.stringify(e.data)}`
        : `${where}${e.instancePath || '/'} ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
}

export function findOperation(method: string, path: string): Operation | undefined {
  return load().operations.find((op) => op.method === method.toUpperCase() && op.pattern.test(path));
}

/** The `$ref` of the response schema for this status (or `default`), or null for a documented empty answer. */
function responseRef(op: Operation, status: number): string | null | undefined {
  const { docs } = load();
  const key = String(status) in op.spec.responses ? String(status) : 'default' in op.spec.responses ? 'default' : undefined;
  if (!key) return undefined;
  let response = op.spec.responses[key] as J;
  let base = pointer('paths', op.template, op.method.toLowerCase(), 'responses', key);
  if (typeof response.$ref === 'string') {
    const name = response.$ref.split('/').pop() as string;
    response = docs[op.doc].components.responses[name] as J;
    base = pointer('components', 'responses', name);
  }
  if (!response?.content?.['application/json']?.schema) return null;
  return `${op.doc}#/${base}/${pointer('content', 'application/json', 'schema')}`;
}

/**
 * Validates one answer against its operation. PayPal's documents name the error list `issues`
 * while PayPal (and its error guide) send `details`: an error's `details` are checked against the
 * documented `issues` items too, so every issue and description must be one PayPal lists.
 */
export function checkAnswer(x: Exchange): Verdict {
  const op = findOperation(x.method, x.path);
  if (!op) return { operation: null, errors: [] };
  const operation = String(op.spec.operationId ?? `${x.method} ${op.template}`);
  const ref = responseRef(op, x.status);
  if (ref === undefined) return { operation, errors: [`${operation}: status ${x.status} is not a documented answer`] };
  if (ref === null) {
    const empty = x.body === undefined || x.body === '' || (typeof x.body === 'object' && x.body !== null && Object.keys(x.body).length === 0);
    return { operation, errors: empty ? [] : [`${operation}: status ${x.status} documents no body`] };
  }
  const v = validatorFor(ref);
  const where = `${operation} ${x.status} `;
  const errors = errorsOf(v, x.body, where);
  const body = x.body as J;
  if (x.status >= 400 && body && Array.isArray(body.details)) errors.push(...errorsOf(v, { ...body, issues: body.details }, `${where}details→issues `));
  return { operation, errors };
}

const RESOURCE_SCHEMAS: Record<string, string> = {
  capture: `payments#/${pointer('components', 'schemas', 'capture-2')}`,
  refund: `payments#/${pointer('components', 'schemas', 'refund')}`,
  'checkout-order': `orders#/${pointer('components', 'schemas', 'order')}`,
};

/** Validates a webhook event (Webhooks v1 `event`) and its resource by resource_type. */
export function checkEvent(event: unknown): string[] {
  const e = event as J;
  const where = `event ${String(e?.event_type)} `;
  const errors = errorsOf(validatorFor(`webhooks#/${pointer('components', 'schemas', 'event')}`), event, where);
  const ref = RESOURCE_SCHEMAS[String(e?.resource_type)];
  if (!ref) errors.push(`${where}resource_type ${String(e?.resource_type)} has no schema here`);
  else errors.push(...errorsOf(validatorFor(ref), e.resource, `${where}resource `));
  return errors;
}

/** Validates a schema by name in one document (for direct tests of a single resource). */
export function checkSchema(doc: DocName, schema: string, value: unknown): string[] {
  return errorsOf(validatorFor(`${doc}#/${pointer('components', 'schemas', schema)}`), value, `${doc} ${schema} `);
}

/** Every violation among recorded answers and sent events; the operations seen, for coverage. */
export function checkAll(exchanges: Exchange[], events: unknown[] = []): { violations: string[]; operations: Set<string> } {
  const violations: string[] = [];
  const operations = new Set<string>();
  for (const x of exchanges) {
    const verdict = checkAnswer(x);
    if (verdict.operation) operations.add(`${verdict.operation} ${x.status}`);
    violations.push(...verdict.errors.map((e) => `${x.method} ${x.path}: ${e}`));
  }
  for (const event of events) violations.push(...checkEvent(event));
  return { violations, operations };
}

import Ajv, { type ValidateFunction } from 'ajv';

// OpenAI's published chat completion schemas (vendored in chat-completion-schemas.yaml), made
// into JSON Schema for ajv, with only the differences DeepSeek's own API reference documents.
// Each difference is one named patch below; nothing else is relaxed. The objects a client reads
// (the body, its choices, the message or delta, usage) are closed on top: a field OpenAI does not
// define passes only when it is one of DeepSeek's documented extras.

type Schema = Record<string, unknown>;
type Schemas = Record<string, Schema>;

const isRecord = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * OpenAPI 3.0's `nullable: true` (the document says `openapi: 3.0.0`, where it means "null is
 * allowed too") as JSON Schema: null added to `type` and to `enum`.
 */
function fromOpenApi(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi);
  if (!isRecord(node)) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable') continue;
    out[key] = key === 'properties' && isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromOpenApi(v)])) : fromOpenApi(value);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type === undefined) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const nullableString = { type: ['string', 'null'] };
const count = { type: 'integer', minimum: 0 };

/** DeepSeek's usage fields beside OpenAI's (create-chat-completion reference: prompt_cache_hit_tokens, prompt_cache_miss_tokens). */
const DEEPSEEK_USAGE = {
  prompt_cache_hit_tokens: count,
  prompt_cache_miss_tokens: count,
  // Not in OpenAI's 2.3.0 CompletionUsage (later versions have it), and sent by DeepSeek with the split above.
  prompt_tokens_details: { type: 'object', properties: { cached_tokens: count }, additionalProperties: false },
};

function close(schema: Schema, extra: Schema = {}): void {
  schema.properties = { ...(schema.properties as Schema), ...extra };
  schema.additionalProperties = false;
}

function withoutRequired(schema: Schema, field: string): void {
  schema.required = (schema.required as string[]).filter((f) => f !== field);
}

/** The documented differences, each applied where OpenAI's schema says otherwise. */
function applyDeepSeekDifferences(s: Schemas): void {
  const completion = s.CreateChatCompletionResponse as Schema;
  const completionChoice = ((completion.properties as Schema).choices as Schema).items as Schema;
  const chunk = s.CreateChatCompletionStreamResponse as Schema;
  const chunkChoice = ((chunk.properties as Schema).choices as Schema).items as Schema;

  // 1. No `refusal`: DeepSeek's message has content, reasoning_content and tool_calls only.
  withoutRequired(s.ChatCompletionResponseMessage as Schema, 'refusal');
  // 2. `reasoning_content` beside `content`, in the message and in stream deltas (thinking mode).
  close(s.ChatCompletionResponseMessage as Schema, { reasoning_content: nullableString });
  close(s.ChatCompletionStreamResponseDelta as Schema, { reasoning_content: nullableString });
  // 3. logprobs hold `content` only (DeepSeek has no refusal tokens).
  for (const choice of [completionChoice, chunkChoice]) {
    const logprobs = (choice.properties as Schema).logprobs as Schema;
    (choice.properties as Schema).logprobs = { ...logprobs, required: ['content'] };
  }
  // 4. One more finish reason: `insufficient_system_resource` (generation cut for lack of capacity).
  for (const choice of [completionChoice, chunkChoice]) {
    const finish = (choice.properties as Schema).finish_reason as Schema;
    const values = finish.enum as (string | null)[];
    finish.enum = [...values.filter((v) => v !== null), 'insufficient_system_resource', ...(values.includes(null) ? [null] : [])];
  }
  // 5. Usage with the cache split; in a stream it rides on the last chunk (whose choices hold the
  //    finish_reason), and every other chunk has `usage: null` when include_usage was asked for.
  close(s.CompletionUsage as Schema, DEEPSEEK_USAGE);
  const streamUsage = (chunk.properties as Schema).usage as Schema;
  close(streamUsage, { ...DEEPSEEK_USAGE, completion_tokens_details: ((s.CompletionUsage as Schema).properties as Schema).completion_tokens_details });
  (chunk.properties as Schema).usage = { anyOf: [streamUsage, { type: 'null' }] };

  close(completion);
  close(completionChoice);
  close(chunk);
  close(chunkChoice);
}

export interface ChatValidators {
  completion: ValidateFunction;
  chunk: ValidateFunction;
}

export async function loadChatValidators(): Promise<ChatValidators> {
  const text = await Bun.file(new URL('./chat-completion-schemas.yaml', import.meta.url)).text();
  const parsed = Bun.YAML.parse(text) as { components: { schemas: Schemas } };
  const schemas = fromOpenApi(parsed.components.schemas) as Schemas;
  applyDeepSeekDifferences(schemas);
  const ajv = new Ajv({ allErrors: true, strict: true });
  // OpenAPI's own keywords, which say nothing about validity; `components` holds the schemas the
  // document's own `#/components/schemas/…` references point into.
  ajv.addVocabulary(['example', 'components']);
  ajv.addSchema({ $id: 'openai.json', components: { schemas } });
  const get = (name: string) => {
    const validate = ajv.getSchema(`openai.json#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    return validate;
  };
  return { completion: get('CreateChatCompletionResponse'), chunk: get('CreateChatCompletionStreamResponse') };
}

/** ajv's errors in one line each, for a failing expectation to show. */
export function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

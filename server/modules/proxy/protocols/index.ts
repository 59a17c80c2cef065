import type { ErrorShape } from '../../../errors';
import type { ProtocolAdapter } from './adapter';
import { anthropicCredential, anthropicMessages } from './anthropic-messages';
import { fim } from './fim';
import { betaChat, openAiChat } from './openai-chat';
import { responses } from './responses';

// Every protocol the gateway relays. proxy/index.ts registers a route for each adapter's paths,
// and the global error mapper (app.ts) answers in the shape of the protocol a path belongs to.

export type { Protocol, ProtocolAdapter } from './adapter';

export const ADAPTERS: readonly ProtocolAdapter[] = [openAiChat, betaChat, fim, anthropicMessages, responses];

/** count_tokens is answered by the gateway itself, in the Messages shape. */
export const COUNT_TOKENS_PATHS = ['/anthropic/v1/messages/count_tokens', '/anthropic/messages/count_tokens', '/v1/messages/count_tokens'] as const;

/** Under these prefixes every error is in the protocol's shape, an unknown path's 404 included. */
const SHAPED_PREFIXES: readonly { prefix: string; shape: ErrorShape }[] = [
  { prefix: '/anthropic/', shape: 'anthropic' },
  { prefix: '/v1/messages/', shape: 'anthropic' },
];

const shapeByPath = new Map<string, ErrorShape>(ADAPTERS.flatMap((adapter) => adapter.paths.map((path) => [path, adapter.errorShape] as const)));

/** The error shape of the gateway's answers on a path: its protocol's, else OpenAI's. */
export function errorShapeOf(path: string): ErrorShape {
  const shape = shapeByPath.get(path);
  if (shape) return shape;
  for (const { prefix, shape: prefixed } of SHAPED_PREFIXES) if (path.startsWith(prefix)) return prefixed;
  return 'openai';
}

/** The buyer's credential on a path, as an Authorization value: the Anthropic paths also take `x-api-key` (Authorization wins). */
export function apiKeyCredential(request: Request, path: string): string | null {
  return errorShapeOf(path) === 'anthropic' ? anthropicCredential(request) : request.headers.get('authorization');
}

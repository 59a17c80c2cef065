import { Err } from '../../errors';
import type { CatalogService } from '../catalog/service';
import type { MeteringService } from '../metering/service';
import { countPromptTokens } from './estimate';
import { anthropicCredential, messagesModelName, messagesPromptText } from './protocols/anthropic-messages';

// Anthropic's count_tokens, which DeepSeek does not offer: answered here, free, with DeepSeek's
// tokenizer (the one that estimates a cut stream). The key and the model are checked as for
// Messages (401, 404, 403); nothing is held, limited or written to the ledger.

export async function countMessageTokens(deps: { metering: MeteringService; catalog: CatalogService }, request: Request, body: Record<string, unknown> & { model: string }): Promise<{ input_tokens: number }> {
  const key = await deps.metering.identify(anthropicCredential(request));
  const name = messagesModelName(body.model);
  const shown = body.model === name ? name : `${body.model} (${name})`;
  const model = deps.catalog.resolveModel(name);
  if (!model) throw Err.modelNotFound(shown);
  const models = deps.catalog.plan(key.planId)?.models ?? [];
  if (!models.includes(model.publicModel)) throw Err.modelNotAllowed(shown, models);
  return { input_tokens: await countPromptTokens(messagesPromptText(body)) };
}

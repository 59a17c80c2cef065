// Chat completions (`/chat/completions`, `/v1/…`, `/beta/…`): DeepSeek's own protocol.

import { renderCompletion, renderStream, makeUsage } from "./chat-reply.ts";
import { contentLogprobs } from "./logprobs.ts";
import { offeredToolNames, type Protocol } from "./pipeline.ts";
import { parseChatRequest, type ChatRequest } from "./validate.ts";

export function chatProtocol(beta: boolean): Protocol<ChatRequest> {
  return {
    peek: (body) => ({ stream: body.stream === true, tools: offeredToolNames(body.tools) }),
    parse: (body, models) => parseChatRequest(body, beta, models),
    answerRepeats: true,
    render(x) {
      const usage = makeUsage(x.promptTokens, x.hitTokens, x.completion, x.req);
      const logprobs = x.req.logprobs === undefined ? undefined : contentLogprobs(x.completion.content, x.req.logprobs, x.seed);
      const meta = { id: x.id, created: x.created, model: x.req.model, fingerprint: x.fingerprint };
      if (x.req.stream) return renderStream(meta, x.completion, usage, x.req.includeUsage, logprobs);
      return { json: renderCompletion(meta, x.completion, usage, logprobs) };
    },
  };
}

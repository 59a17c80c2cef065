import { ErrorTable } from '../../components/error-table';
import type { GuideProps } from '../../components/guide-props';
import { PriceSection } from '../../components/prices';
import { QuickStartTabs } from '../../components/quickstart';
import { CodeBlock } from '../../components/ui';
import { costOf, sumUsd, usd } from '../../lib/format';
import { PAGE_PATHS } from '../../routes';

export default function QuickStartGuide(p: GuideProps) {
  const prices = p.models?.data.find((m) => m.id === p.model)?.per_million_tokens;
  const example = (period: 'peak' | 'off_peak', hit: number) =>
    prices
      ? usd(sumUsd([costOf(hit, prices[period].cache_hit_usd), costOf(3000 - hit, prices[period].cache_miss_usd), costOf(500, prices[period].output_usd)]))
      : '…';
  return (
    <>
      <p class="lead">
        {p.siteName} speaks the same API as OpenAI and DeepSeek. Any OpenAI SDK or OpenAI-compatible app works: give it
        the base URL and your key, and pick a model.
      </p>

      <h2 id="basics">1. Base URL, key and model</h2>
      <dl class="facts wide">
        <dt>Base URL</dt>
        <dd>
          <code>{p.base}</code> (apps that add <code>/v1</code> themselves can use <code>{p.origin}</code>)
        </dd>
        <dt>API key</dt>
        <dd>
          your key, starting with <code>sk-gateway-</code>, sent as <code>Authorization: Bearer …</code>
        </dd>
        <dt>Model</dt>
        <dd>
          <code>{p.model}</code>
          {p.models && p.models.data.length > 1 && <> or {p.models.data.slice(1).map((m) => <code key={m.id}>{m.id}</code>)} if your plan includes it</>}
        </dd>
      </dl>
      <p>
        Keep the key secret: put it in an environment variable or your app’s settings, never in code you share. If it
        leaks, replace it on the <a href={PAGE_PATHS.order}>check order</a> page.
      </p>

      <h2 id="sdk">2. Your first request</h2>
      <p>Install the official OpenAI SDK for your language (or use curl), then run one of these:</p>
      <QuickStartTabs base={p.base} model={p.model} idPrefix="guide-qs" />

      <h2 id="streaming">3. Streaming</h2>
      <p>
        With <code>stream: true</code> the reply arrives piece by piece as server-sent events, each line starting with{' '}
        <code>data: </code> and the last one being <code>data: [DONE]</code>. The SDKs handle this for you. If you parse the
        stream yourself, ignore lines that start with a colon (such as <code>: keep-alive</code>, sent while the model is
        still queued) and read the text from <code>choices[0].delta.content</code>.
      </p>
      <p>
        If something fails after the stream has started, the last event carries an <code>error</code> object with a
        message instead of more text. Tokens generated before the failure are billed; nothing else is.
      </p>

      <h2 id="multi-turn">4. Multi-turn conversations</h2>
      <p>
        The API does not remember earlier messages. To continue a conversation, send the whole history each time:
        the previous questions and the model’s previous answers, then the new question.
      </p>
      <CodeBlock
        label="Python: a conversation"
        code={`from openai import OpenAI

client = OpenAI(api_key="YOUR_API_KEY", base_url="${p.base}")
messages = [{"role": "system", "content": "You are a concise assistant."}]

for question in ["What is the capital of France?", "And how many people live there?"]:
    messages.append({"role": "user", "content": question})
    reply = client.chat.completions.create(model="${p.model}", messages=messages)
    answer = reply.choices[0].message.content
    messages.append({"role": "assistant", "content": answer})
    print(answer)
`}
      />
      <p>
        Because each request repeats the history, long conversations get more expensive per turn, but the repeated
        beginning is usually a cache hit, which costs far less (see below).
      </p>

      <h2 id="reasoning">5. Reasoning (thinking) content</h2>
      <p>
        DeepSeek’s models can think before they answer. That reasoning is returned in a separate field,{' '}
        <code>reasoning_content</code>. Most apps don’t expect it, so by default this gateway removes it and you only get
        the answer. Reasoning tokens count as output tokens and are billed either way.
      </p>
      <p>
        To receive it, add <code>"include_reasoning": true</code> to the request, or switch on “include the model’s
        reasoning” on the <a href={PAGE_PATHS.dashboard}>dashboard</a> to get it on every request made with your key.
      </p>
      <CodeBlock
        label="Python: reading the reasoning"
        code={`response = client.chat.completions.create(
    model="${p.model}",
    messages=[{"role": "user", "content": "Is 3599 a prime number?"}],
    extra_body={"include_reasoning": True},
)
message = response.choices[0].message
print("Reasoning:", getattr(message, "reasoning_content", None))
print("Answer:", message.content)
`}
      />
      <p>
        In a stream, the reasoning arrives first in <code>delta.reasoning_content</code>, then the answer in{' '}
        <code>delta.content</code>. The model names <code>deepseek-chat</code> (answers without thinking) and{' '}
        <code>deepseek-reasoner</code> (thinks first) are accepted as aliases, so older apps keep working.
      </p>

      <h2 id="costs">6. What a request costs: cache hits and peak hours</h2>
      <p>A request costs the sum of three parts, each priced per million tokens:</p>
      <ul>
        <li>
          <strong>input tokens that were a cache hit</strong>: DeepSeek remembers recent prompts; when the beginning of
          your prompt matches one (same system prompt, same earlier turns), those tokens cost a small fraction of the
          normal price;
        </li>
        <li>
          <strong>input tokens that were a cache miss</strong>: everything else you send;
        </li>
        <li>
          <strong>output tokens</strong>: the reply, reasoning included.
        </li>
      </ul>
      <p>
        Prices also depend on the time: <strong>peak</strong> hours cost more than <strong>off-peak</strong> hours. The
        price in force when the request completes applies. Current prices:
      </p>
      {p.models && <PriceSection models={p.models} />}
      <p>
        Example with <code>{p.model}</code>: a chat turn with 3,000 input tokens and a 500-token reply costs{' '}
        <strong>{example('peak', 0)}</strong> at peak with no cache hit, <strong>{example('peak', 2500)}</strong> at peak when
        2,500 of the input tokens are a cache hit, and <strong>{example('off_peak', 2500)}</strong> off-peak with the same
        cache hit.
      </p>
      <p>To pay less:</p>
      <ul>
        <li>keep the start of your prompts stable (system prompt first, history in order) and put what changes at the end;</li>
        <li>limit the reply length with <code>max_tokens</code> when you don’t need long answers;</li>
        <li>run large batch jobs off-peak.</li>
      </ul>
      <p>
        Every response reports its usage: <code>prompt_cache_hit_tokens</code>, <code>prompt_cache_miss_tokens</code> and{' '}
        <code>completion_tokens</code>. The <a href={PAGE_PATHS.dashboard}>dashboard</a> lists each request with its cost.
      </p>

      <h2 id="errors">7. Errors</h2>
      <p>
        Errors come back in OpenAI’s format, <code>{'{"error": {"message": …, "type": …, "code": …}}'}</code>, so SDKs raise
        them as normal API errors. The message explains what happened:
      </p>
      <ErrorTable />

      <h2 id="balance">8. Checking your balance</h2>
      <p>
        The <a href={PAGE_PATHS.dashboard}>dashboard</a> shows what’s left, your spending per day and every request. Apps
        that show a balance can read it from <code>{p.origin}/user/balance</code>, in DeepSeek’s format. The full API
        reference is in the <a href="/docs">API docs</a>.
      </p>
      <p>
        Using SillyTavern or another chat app? See the <a href={PAGE_PATHS.sillytavern}>SillyTavern guide</a>.
      </p>
    </>
  );
}

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
        {p.siteName} 的接口与 OpenAI 和 DeepSeek 相同。任何 OpenAI SDK 或兼容 OpenAI 的应用都能直接使用：填入接口地址和密钥，再选择模型即可。
      </p>

      <h2 id="basics">1. 接口地址、密钥和模型</h2>
      <dl class="facts wide">
        <dt>接口地址</dt>
        <dd>
          <code>{p.base}</code>（会自动补上 <code>/v1</code> 的应用可以填 <code>{p.origin}</code>）
        </dd>
        <dt>API 密钥</dt>
        <dd>
          您的密钥，以 <code>sk-gateway-</code> 开头，通过 <code>Authorization: Bearer …</code> 发送
        </dd>
        <dt>模型</dt>
        <dd>
          <code>{p.model}</code>
          {p.models && p.models.data.length > 1 && <>；若套餐包含，也可用 {p.models.data.slice(1).map((m) => <code key={m.id}>{m.id}</code>)}</>}
        </dd>
      </dl>
      <p>
        请妥善保管密钥：放在环境变量或应用设置里，不要写进会分享出去的代码。如果密钥泄露，可在<a href={PAGE_PATHS.order}>查询订单</a>页面更换。
      </p>

      <h2 id="sdk">2. 第一个请求</h2>
      <p>为您的编程语言安装官方 OpenAI SDK（或直接用 curl），然后运行下面任意一段代码：</p>
      <QuickStartTabs base={p.base} model={p.model} idPrefix="guide-qs" />

      <h2 id="streaming">3. 流式输出</h2>
      <p>
        设置 <code>stream: true</code> 后，回复以服务器推送事件（SSE）的形式分段返回，每行以 <code>data: </code> 开头，最后一行是{' '}
        <code>data: [DONE]</code>。SDK 会替您处理这些细节。如果自己解析，请忽略以冒号开头的行（例如模型排队时发送的{' '}
        <code>: keep-alive</code>），并从 <code>choices[0].delta.content</code> 读取文字。
      </p>
      <p>如果流式输出开始后出错，最后一个事件会带有 <code>error</code> 对象和错误信息，而不是更多文字。出错前已生成的 tokens 照常计费，其余不收费。</p>

      <h2 id="multi-turn">4. 多轮对话</h2>
      <p>API 不会记住之前的消息。要继续对话，每次都需要发送完整的历史：之前的提问、模型之前的回答，再加上新的问题。</p>
      <CodeBlock
        label="Python：多轮对话"
        code={`from openai import OpenAI

client = OpenAI(api_key="YOUR_API_KEY", base_url="${p.base}")
messages = [{"role": "system", "content": "你是一个简洁的助手。"}]

for question in ["法国的首都是哪里？", "那里有多少人口？"]:
    messages.append({"role": "user", "content": question})
    reply = client.chat.completions.create(model="${p.model}", messages=messages)
    answer = reply.choices[0].message.content
    messages.append({"role": "assistant", "content": answer})
    print(answer)
`}
      />
      <p>由于每次请求都会重复发送历史，对话越长，每轮的费用越高；不过重复的开头部分通常会命中缓存，价格低得多（见下文）。</p>

      <h2 id="reasoning">5. 推理（思考）内容</h2>
      <p>
        DeepSeek 的模型可以先思考再回答，思考过程放在单独的字段 <code>reasoning_content</code> 中返回。大多数应用不认识这个字段，因此本网关默认会去掉它，您只会收到最终回答。无论是否返回，推理
        tokens 都计入输出 tokens 计费。
      </p>
      <p>
        如需获取推理内容，可在请求中加入 <code>"include_reasoning": true</code>，或在<a href={PAGE_PATHS.dashboard}>用量面板</a>中打开“包含模型的推理内容”，让该密钥的所有请求都返回它。
      </p>
      <CodeBlock
        label="Python：读取推理内容"
        code={`response = client.chat.completions.create(
    model="${p.model}",
    messages=[{"role": "user", "content": "3599 是质数吗？"}],
    extra_body={"include_reasoning": True},
)
message = response.choices[0].message
print("推理：", getattr(message, "reasoning_content", None))
print("回答：", message.content)
`}
      />
      <p>
        流式输出时，推理内容先通过 <code>delta.reasoning_content</code> 返回，然后才是 <code>delta.content</code> 中的回答。模型名{' '}
        <code>deepseek-chat</code>（不思考直接回答）和 <code>deepseek-reasoner</code>（先思考）作为别名仍可使用，旧应用无需修改。
      </p>

      <h2 id="costs">6. 请求的费用：缓存命中与高峰时段</h2>
      <p>一次请求的费用由三部分相加，均按每百万 tokens 定价：</p>
      <ul>
        <li>
          <strong>缓存命中的输入 tokens</strong>：DeepSeek 会记住最近的提示词；当您的提示词开头与之相同（相同的系统提示、相同的前几轮对话），这部分 tokens 只需正常价格的一小部分；
        </li>
        <li>
          <strong>缓存未命中的输入 tokens</strong>：您发送的其余内容；
        </li>
        <li>
          <strong>输出 tokens</strong>：模型的回复，包括推理内容。
        </li>
      </ul>
      <p>
        价格还与时间有关：<strong>高峰</strong>时段比<strong>非高峰</strong>时段贵。按请求完成时的价格计费。当前价格：
      </p>
      {p.models && <PriceSection models={p.models} />}
      <p>
        以 <code>{p.model}</code> 为例：一轮 3,000 个输入 tokens、500 个输出 tokens 的对话，高峰时段无缓存命中需 <strong>{example('peak', 0)}</strong>，高峰时段其中
        2,500 个输入 tokens 命中缓存需 <strong>{example('peak', 2500)}</strong>，非高峰时段同样命中缓存只需 <strong>{example('off_peak', 2500)}</strong>。
      </p>
      <p>省钱的方法：</p>
      <ul>
        <li>保持提示词开头稳定（系统提示放最前，历史按顺序排列），把变化的内容放在最后；</li>
        <li>不需要长回答时，用 <code>max_tokens</code> 限制回复长度；</li>
        <li>大批量任务放在非高峰时段运行。</li>
      </ul>
      <p>
        每个响应都会报告用量：<code>prompt_cache_hit_tokens</code>、<code>prompt_cache_miss_tokens</code> 和 <code>completion_tokens</code>。
        <a href={PAGE_PATHS.dashboard}>用量面板</a>会列出每次请求及其费用。
      </p>

      <h2 id="errors">7. 错误</h2>
      <p>
        错误采用 OpenAI 的格式 <code>{'{"error": {"message": …, "type": …, "code": …}}'}</code>，SDK 会把它们当作普通的 API 错误抛出。message 会说明原因：
      </p>
      <ErrorTable />

      <h2 id="balance">8. 查看余额</h2>
      <p>
        <a href={PAGE_PATHS.dashboard}>用量面板</a>会显示剩余额度、每日花费和每一次请求。能显示余额的应用可以从 <code>{p.origin}/user/balance</code> 读取（DeepSeek 的格式）。完整的接口说明见{' '}
        <a href="/docs">API 文档</a>。
      </p>
      <p>
        在用 SillyTavern 或其他聊天应用？请看 <a href={PAGE_PATHS.sillytavern}>SillyTavern 指南</a>。
      </p>
    </>
  );
}

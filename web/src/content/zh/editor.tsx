import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';

export default function EditorGuide(p: GuideProps) {
  const beta = `${p.origin}/beta`;
  return (
    <>
      <p class="lead">
        编辑器插件在您输入时用 FIM（中间填充）补全代码：模型写出光标前后文本之间的内容。{p.siteName} 把它转发到 DeepSeek 在 beta 地址上的 FIM 接口。
      </p>

      <h2 id="settings">设置</h2>
      <p>
        FIM Base URL：<CopyUrl url={beta} label="FIM Base URL" />（插件会自行加上 <code>/completions</code>）。同一插件中的对话使用{' '}
        <CopyUrl url={p.base} label="Chat Base URL" />。
      </p>
      <p>
        以 Continue（VS Code、JetBrains）为例，在 <code>~/.continue/config.yaml</code> 中：
      </p>
      <CodeBlock
        label="~/.continue/config.yaml"
        code={`name: ${p.siteName}
version: 1.0.0
schema: v1
models:
  - name: DeepSeek chat
    provider: deepseek
    model: ${p.model}
    apiBase: ${p.base}/
    apiKey: YOUR_API_KEY
    roles: [chat, edit, apply]
  - name: DeepSeek autocomplete
    provider: deepseek
    model: ${p.model}
    apiBase: ${beta}
    apiKey: YOUR_API_KEY
    roles: [autocomplete]
`}
      />
      <p>
        其他支持“OpenAI 兼容补全”或 DeepSeek FIM 的插件设置方法相同：上面的 FIM Base URL、您的密钥、模型 <code>{p.model}</code>。
      </p>

      <h2 id="check">检查是否可用</h2>
      <CodeBlock
        label="Shell：一次补全"
        code={`curl ${beta}/completions \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${p.model}", "prompt": "def fib(n):\\n    ", "suffix": "\\n    return a", "max_tokens": 64}'
`}
      />

      <h2 id="limits">限制与计费</h2>
      <ul>
        <li>FIM 不使用思考模式，最多输出 4096 个 token；请求更多或要求思考时会直接返回 400，不产生任何费用。</li>
        <li>
          每次补全都是一次计费请求，和对话一样。插件因您继续输入而取消的补全，已生成的 tokens 照常计费，在
          <a href={PAGE_PATHS.dashboard}>用量面板</a>中标记为“估算”（接口 <strong>FIM</strong>）。
        </li>
        <li>套餐的每分钟请求数也计算补全请求：如果看到 <code>429</code>，请调大插件的防抖延迟。</li>
      </ul>
    </>
  );
}

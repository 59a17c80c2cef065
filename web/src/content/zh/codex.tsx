import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';
import { codexConfig, codexKey, codexCheck } from '../../lib/agent-configs';

export default function CodexGuide(p: GuideProps) {
  return (
    <>
      <p class="lead">
        Codex 使用 OpenAI 的 Responses API，{p.siteName} 将其转发到 DeepSeek 的 Responses 接口。在 Codex 配置中添加一个自定义提供方，并把密钥放在环境变量里。
      </p>

      <h2 id="settings">设置</h2>
      <p>
        Base URL：<CopyUrl url={p.base} label="Codex Base URL" />（Codex 会自行加上 <code>/responses</code>）。
      </p>
      <p>
        在 <code>~/.codex/config.toml</code> 中加入：
      </p>
      <CodeBlock
        label="~/.codex/config.toml"
        code={codexConfig(p)}
      />
      <p>然后把密钥放进这个变量（写入 shell 配置文件可长期保留）：</p>
      <CodeBlock label="Shell：密钥" code={codexKey()} />
      <ul>
        <li>
          <code>wire_api = "responses"</code> 是 Codex 对自定义提供方唯一接受的类型。
        </li>
        <li>
          <code>show_raw_agent_reasoning = true</code> 保留模型的推理内容：每次工具调用之后 DeepSeek 都需要它被传回。
        </li>
        <li>
          <code>web_search = "disabled"</code>：DeepSeek 的联网搜索按次计费，只有运营者设置了价格才可使用。
        </li>
      </ul>

      <h2 id="check">检查是否可用</h2>
      <CodeBlock label="Shell：单次提问" code={codexCheck()} />
      <p>
        之后每个请求都会出现在<a href={PAGE_PATHS.dashboard}>用量面板</a>中，接口显示为 <strong>Responses</strong>。
      </p>

      <h2 id="billing">计费说明</h2>
      <ul>
        <li>
          DeepSeek 的 Responses API 不在请求之间保存任何内容（<code>previous_response_id</code> 和 <code>store</code>{' '}
          会被忽略），所以 Codex 每轮都会发送完整对话。重复部分通常命中缓存，按低得多的缓存命中价格计费。
        </li>
        <li>推理内容计入输出。因输出上限而截断（<code>incomplete</code>）或失败的回答，按 DeepSeek 实际生成的内容计费。</li>
        <li>Codex 在流长时间无数据后重试时，每次尝试都是独立的请求，按各自收到的内容计费。</li>
      </ul>

      <h2 id="troubleshooting">常见问题</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> API 密钥不正确
        </dt>
        <dd>
          运行 Codex 的 shell 中没有设置 <code>TOLLGATE_API_KEY</code>，或设置的是另一个密钥。
        </dd>
        <dt>
          <code>/responses</code> 返回 <code>404</code>
        </dt>
        <dd>
          Base URL 必须与上面完全一致，以 <code>/v1</code> 结尾，不要加 <code>/responses</code>。
        </dd>
        <dt>
          <code>400</code>“reasoning_text … must be passed back”
        </dt>
        <dd>
          对话丢失了模型的推理内容。请保持 <code>show_raw_agent_reasoning = true</code> 并开始新的会话。
        </dd>
      </dl>
    </>
  );
}

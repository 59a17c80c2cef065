import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';
import { anthropicBase, claudeCodeCheck, claudeCodeSettings, claudeCodeShell } from '../../lib/agent-configs';

export default function ClaudeCodeGuide(p: GuideProps) {
  const base = anthropicBase(p);
  return (
    <>
      <p class="lead">
        Claude Code 通过 {p.siteName} 的 Anthropic 兼容接口使用 DeepSeek。设置几个环境变量即可，每个请求都按 DeepSeek 的价格从您的密钥额度中扣费。
      </p>

      <h2 id="settings">设置</h2>
      <p>
        Base URL：<CopyUrl url={base} label="Claude Code Base URL" />
      </p>
      <p>
        把下面几行加入 shell 配置文件（<code>~/.bashrc</code>、<code>~/.zshrc</code>），然后打开新的终端。模型变量很重要：Claude Code
        默认使用 Claude 模型名，<code>claude-opus…</code> 会使用 <code>deepseek-v4-pro</code>，其他名称使用{' '}
        <code>deepseek-v4-flash</code>；如果套餐不含 Pro 模型，前者会被拒绝。
      </p>
      <CodeBlock
        label="Shell：环境变量"
        code={claudeCodeShell(p)}
      />
      <p>
        也可以只为 Claude Code 设置，写入 <code>~/.claude/settings.json</code>：
      </p>
      <CodeBlock
        label="~/.claude/settings.json"
        code={claudeCodeSettings(p)}
      />
      <ul>
        <li>
          <code>ANTHROPIC_AUTH_TOKEN</code> 以 Bearer 方式发送，无需确认。<code>ANTHROPIC_API_KEY</code>（以{' '}
          <code>x-api-key</code> 发送）同样可用。
        </li>
        <li>
          如果套餐包含 DeepSeek V4 Pro，可设置 <code>ANTHROPIC_DEFAULT_OPUS_MODEL=deepseek-v4-pro</code>（或{' '}
          <code>ANTHROPIC_MODEL</code>）来使用它，按 Pro 价格计费。
        </li>
        <li>
          <code>CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1</code> 关闭遥测、更新检查和模型发现，否则这些请求会发往别处。
        </li>
      </ul>

      <h2 id="check">检查是否可用</h2>
      <CodeBlock label="Shell：单次提问" code={claudeCodeCheck()} />
      <p>
        回答在 <code>result</code> 字段中。Claude Code 显示的 <code>total_cost_usd</code> 按 Anthropic 的价格计算；实际费用请看
        <a href={PAGE_PATHS.dashboard}>用量面板</a>，其中每个请求的接口显示为 <strong>Anthropic</strong>。
      </p>

      <h2 id="billing">计费说明</h2>
      <ul>
        <li>
          DeepSeek 从缓存读取的输入（<code>cache_read_input_tokens</code>）比新输入便宜得多。Claude Code 每轮都会重发整个对话，所以大部分是缓存命中。
        </li>
        <li>思考过程计入输出。Token 计数（<code>count_tokens</code>）免费。</li>
        <li>中途停止回答（Esc）时，已生成的 tokens 照常计费，标记为“估算”。</li>
        <li>DeepSeek 自带的联网搜索按次额外收费，只有运营者为其设置了价格才可使用；否则带有该工具的请求会被拒绝（400，并指明工具名）。</li>
      </ul>

      <h2 id="troubleshooting">常见问题</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> authentication_error
        </dt>
        <dd>
          密钥缺失或错误：检查 <code>ANTHROPIC_AUTH_TOKEN</code>（完整的 <code>sk-gateway-…</code> 密钥），并确认没有设置其他的{' '}
          <code>ANTHROPIC_API_KEY</code>。
        </dd>
        <dt>
          <code>402</code> billing_error
        </dt>
        <dd>
          额度已用完或密钥已过期。请<a href={PAGE_PATHS.pricing}>充值或购买套餐</a>。
        </dd>
        <dt>
          <code>403</code> permission_error
        </dt>
        <dd>
          套餐不包含 Claude Code 请求的模型，通常是 <code>claude-opus…</code>（Pro 模型）。请把上面的模型变量设为套餐内的模型。
        </dd>
        <dt>
          <code>429</code> rate_limit_error、<code>529</code> overloaded_error
        </dt>
        <dd>同时发出的请求过多，或 DeepSeek 繁忙。Claude Code 会自动重试，请稍等。</dd>
      </dl>
    </>
  );
}

import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';
import { anthropicBase, claudeCodeCheck, claudeCodeSettings, claudeCodeShell } from '../../lib/agent-configs';

export default function ClaudeCodeGuide(p: GuideProps) {
  const base = anthropicBase(p);
  return (
    <>
      <p class="lead">
        Claude Code talks to {p.siteName} through its Anthropic-compatible endpoint, which relays to DeepSeek’s. Point it
        there with a few environment variables; your key pays for every request at DeepSeek’s prices.
      </p>

      <h2 id="settings">Settings</h2>
      <p>
        Base URL: <CopyUrl url={base} label="Claude Code base URL" />
      </p>
      <p>
        Put these in your shell profile (<code>~/.bashrc</code>, <code>~/.zshrc</code>) and open a new terminal. The model
        variables matter: Claude Code’s own defaults are Claude names, which run <code>deepseek-v4-pro</code> for{' '}
        <code>claude-opus…</code> and <code>deepseek-v4-flash</code> otherwise, and a plan without the pro model refuses
        the first.
      </p>
      <CodeBlock
        label="Shell: environment"
        code={claudeCodeShell(p)}
      />
      <p>
        Or, for Claude Code only, the same in <code>~/.claude/settings.json</code>:
      </p>
      <CodeBlock
        label="~/.claude/settings.json"
        code={claudeCodeSettings(p)}
      />
      <ul>
        <li>
          <code>ANTHROPIC_AUTH_TOKEN</code> is sent as a bearer key, with no approval prompt. <code>ANTHROPIC_API_KEY</code>{' '}
          (sent as <code>x-api-key</code>) works too.
        </li>
        <li>
          On a plan with DeepSeek V4 Pro, set <code>ANTHROPIC_DEFAULT_OPUS_MODEL=deepseek-v4-pro</code> (or{' '}
          <code>ANTHROPIC_MODEL</code>) to use it. It is billed at the pro price.
        </li>
        <li>
          <code>CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1</code> stops telemetry, update checks and model discovery, which
          would otherwise go elsewhere.
        </li>
      </ul>

      <h2 id="check">Check that it works</h2>
      <CodeBlock label="Shell: a one-shot prompt" code={claudeCodeCheck()} />
      <p>
        The answer is in <code>result</code>. The <code>total_cost_usd</code> Claude Code prints is worked out at
        Anthropic’s prices; what you really paid is on the <a href={PAGE_PATHS.dashboard}>dashboard</a>, where each request
        shows the API <strong>Anthropic</strong>.
      </p>

      <h2 id="billing">What is billed</h2>
      <ul>
        <li>
          Input tokens that DeepSeek serves from its cache (<code>cache_read_input_tokens</code>) cost far less than new
          ones. Claude Code resends the whole conversation every turn, so most of it is a cache hit.
        </li>
        <li>Thinking counts as output. Token counting (<code>count_tokens</code>) is free.</li>
        <li>
          If you stop a reply (Esc), the tokens generated until then are billed, marked “estimated”.
        </li>
        <li>
          DeepSeek’s own web search costs extra per search. It works only if the operator has priced it; otherwise a
          request that offers it is refused with a 400 that names the tool.
        </li>
      </ul>

      <h2 id="troubleshooting">Troubleshooting</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> authentication_error
        </dt>
        <dd>
          The key is missing or wrong: check <code>ANTHROPIC_AUTH_TOKEN</code> (the whole <code>sk-gateway-…</code> key)
          and that no other <code>ANTHROPIC_API_KEY</code> is set.
        </dd>
        <dt>
          <code>402</code> billing_error
        </dt>
        <dd>
          The budget is spent or the key expired. <a href={PAGE_PATHS.pricing}>Top up or buy a plan</a>.
        </dd>
        <dt>
          <code>403</code> permission_error
        </dt>
        <dd>
          Your plan does not include the model Claude Code asked for, usually <code>claude-opus…</code> (the pro model).
          Set the model variables above to a model of your plan.
        </dd>
        <dt>
          <code>429</code> rate_limit_error, <code>529</code> overloaded_error
        </dt>
        <dd>Too many requests at once, or DeepSeek is busy. Claude Code retries by itself; wait a moment.</dd>
      </dl>
    </>
  );
}

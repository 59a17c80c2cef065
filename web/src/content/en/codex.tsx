import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';
import { codexConfig, codexKey, codexCheck } from '../../lib/agent-configs';

export default function CodexGuide(p: GuideProps) {
  return (
    <>
      <p class="lead">
        Codex speaks OpenAI’s Responses API, which {p.siteName} relays to DeepSeek’s. Add it as a custom provider in
        Codex’s configuration and keep your key in an environment variable.
      </p>

      <h2 id="settings">Settings</h2>
      <p>
        Base URL: <CopyUrl url={p.base} label="Codex base URL" /> (Codex adds <code>/responses</code> itself).
      </p>
      <p>
        Add this to <code>~/.codex/config.toml</code>:
      </p>
      <CodeBlock
        label="~/.codex/config.toml"
        code={codexConfig(p)}
      />
      <p>Then put your key in that variable (in your shell profile to keep it):</p>
      <CodeBlock label="Shell: the key" code={codexKey()} />
      <ul>
        <li>
          <code>wire_api = "responses"</code> is the only kind Codex accepts for a custom provider.
        </li>
        <li>
          <code>show_raw_agent_reasoning = true</code> keeps the model’s reasoning: DeepSeek needs it back after each tool
          call.
        </li>
        <li>
          <code>web_search = "disabled"</code>: DeepSeek’s web search is billed per call and only works where the operator
          has priced it.
        </li>
      </ul>

      <h2 id="check">Check that it works</h2>
      <CodeBlock label="Shell: a one-shot prompt" code={codexCheck()} />
      <p>
        Each request then appears on the <a href={PAGE_PATHS.dashboard}>dashboard</a> with the API{' '}
        <strong>Responses</strong>.
      </p>

      <h2 id="billing">What is billed</h2>
      <ul>
        <li>
          DeepSeek’s Responses API keeps nothing between requests (<code>previous_response_id</code> and{' '}
          <code>store</code> are ignored), so Codex sends the whole conversation each turn. The repeated part is usually a
          cache hit, billed at the much lower cache-hit price.
        </li>
        <li>
          Reasoning counts as output. An answer cut off at its output limit (<code>incomplete</code>) or one that failed is
          billed for what DeepSeek generated.
        </li>
        <li>
          When Codex retries a stream that went quiet, each attempt is a request of its own and is billed for what it got.
        </li>
      </ul>

      <h2 id="troubleshooting">Troubleshooting</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> Incorrect API key
        </dt>
        <dd>
          <code>TOLLGATE_API_KEY</code> is not set in the shell that runs Codex, or holds a different key.
        </dd>
        <dt>
          <code>404</code> on <code>/responses</code>
        </dt>
        <dd>
          The base URL must end in <code>/v1</code> exactly as above, without <code>/responses</code>.
        </dd>
        <dt>
          <code>400</code> “reasoning_text … must be passed back”
        </dt>
        <dd>
          The conversation lost the model’s reasoning. Keep <code>show_raw_agent_reasoning = true</code> and start a new
          session.
        </dd>
      </dl>
    </>
  );
}

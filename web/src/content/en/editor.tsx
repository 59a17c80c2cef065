import type { GuideProps } from '../../components/guide-props';
import { CodeBlock, CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';

export default function EditorGuide(p: GuideProps) {
  const beta = `${p.origin}/beta`;
  return (
    <>
      <p class="lead">
        Editor plugins complete code as you type with FIM (fill in the middle): the model writes what goes between the
        text before and after the cursor. {p.siteName} relays it to DeepSeek’s FIM endpoint on the beta base URL.
      </p>

      <h2 id="settings">Settings</h2>
      <p>
        FIM base URL: <CopyUrl url={beta} label="FIM base URL" /> (the plugin adds <code>/completions</code>). Chat in the
        same plugin uses <CopyUrl url={p.base} label="Chat base URL" />.
      </p>
      <p>
        For Continue (VS Code, JetBrains), in <code>~/.continue/config.yaml</code>:
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
        Any other plugin with an “OpenAI-compatible completions” or DeepSeek FIM setting works the same way: the FIM base
        URL above, your key, the model <code>{p.model}</code>.
      </p>

      <h2 id="check">Check that it works</h2>
      <CodeBlock
        label="Shell: one completion"
        code={`curl ${beta}/completions \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${p.model}", "prompt": "def fib(n):\\n    ", "suffix": "\\n    return a", "max_tokens": 64}'
`}
      />

      <h2 id="limits">Limits and billing</h2>
      <ul>
        <li>
          FIM runs without thinking and writes at most 4096 tokens; a request asking for more, or for thinking, is refused
          with a 400 before anything is charged.
        </li>
        <li>
          Every completion is a billed request, like chat. When the plugin cancels one because you kept typing, the tokens
          generated until then are billed, marked “estimated” on the <a href={PAGE_PATHS.dashboard}>dashboard</a> (API{' '}
          <strong>FIM</strong>).
        </li>
        <li>
          Your plan’s requests per minute count completions too: if you see <code>429</code>, raise the plugin’s debounce
          delay.
        </li>
      </ul>
    </>
  );
}

import type { GuideProps } from '../../components/guide-props';
import { SupportLink } from '../../components/layout';
import { CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';

export default function SillyTavernGuide(p: GuideProps) {
  return (
    <>
      <p class="lead">
        SillyTavern talks to {p.siteName} as a “Custom (OpenAI-compatible)” chat completion source. Setting it up takes a
        minute.
      </p>

      <h2 id="settings">Settings</h2>
      <p>
        Open the <strong>API Connections</strong> panel (the plug icon at the top) and fill it in like this:
      </p>
      <div class="table-wrap">
        <table class="settings-table">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">API</th>
              <td data-label="Value">Chat Completion</td>
            </tr>
            <tr>
              <th scope="row">Chat Completion Source</th>
              <td data-label="Value">Custom (OpenAI-compatible)</td>
            </tr>
            <tr>
              <th scope="row">Custom Endpoint (Base URL)</th>
              <td data-label="Value">
                <CopyUrl url={p.base} label="Base URL" />
                <br />
                <span class="muted small">ends in /v1; don’t add /chat/completions</span>
              </td>
            </tr>
            <tr>
              <th scope="row">Custom API Key</th>
              <td data-label="Value">
                your key (<code>sk-gateway-…</code>)
              </td>
            </tr>
            <tr>
              <th scope="row">Model ID</th>
              <td data-label="Value">
                <code>{p.model}</code> (or pick it from the list after connecting)
              </td>
            </tr>
            <tr>
              <th scope="row">Streaming</th>
              <td data-label="Value">on (“Streaming” in the AI Response Configuration panel)</td>
            </tr>
          </tbody>
        </table>
      </div>

      <h2 id="steps">Step by step</h2>
      <ol>
        <li>Under API, choose Chat Completion, then Custom (OpenAI-compatible) as the source.</li>
        <li>Paste the base URL and your key into the two fields.</li>
        <li>
          Click <strong>Connect</strong>. The status dot turns green and the model list fills in with the models your plan
          includes.
        </li>
        <li>
          Choose <code>{p.model}</code>, turn on Streaming in the AI Response Configuration panel (the sliders icon), and
          start chatting.
        </li>
      </ol>
      <p>
        SillyTavern shows the model’s reasoning as “thoughts” when it is present. To get it, switch on “include the
        model’s reasoning” on the <a href={PAGE_PATHS.dashboard}>dashboard</a>. It is billed as output either way.
      </p>

      <h2 id="troubleshooting">Troubleshooting</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> Incorrect API key / no API key
        </dt>
        <dd>
          The key is missing, cut off, or has been replaced. Paste the whole key again (no spaces). If you replaced a
          leaked key on the <a href={PAGE_PATHS.order}>check order</a> page, use the new one.
        </dd>
        <dt>
          <code>402</code> No budget left / key expired
        </dt>
        <dd>
          Your plan’s budget is spent or its validity ended. The <a href={PAGE_PATHS.dashboard}>dashboard</a> shows which;{' '}
          <a href={PAGE_PATHS.pricing}>buy a new plan</a> to continue.
        </dd>
        <dt>
          <code>403</code> Your plan does not include the model
        </dt>
        <dd>
          Pick a model your plan includes (the list after Connect shows them), or buy a plan with that model.
        </dd>
        <dt>
          <code>429</code> Rate limit reached
        </dt>
        <dd>
          Too many requests per minute or at the same time. SillyTavern retries a 429 silently for non-streaming requests
          (five times, waiting longer each time), so it can look as if it hangs for a minute. Wait, turn on Streaming, and
          avoid extensions that send many requests at once.
        </dd>
        <dt>
          <code>500</code>–<code>504</code> Service temporarily unavailable
        </dt>
        <dd>
          A problem upstream or in the gateway. Wait a few seconds and regenerate. Only tokens actually generated are
          billed. If it keeps happening, contact {p.support ? <SupportLink contact={p.support} /> : 'support'}.
        </dd>
        <dt>The status stays red, or “no models”</dt>
        <dd>
          Check the base URL: it must be exactly <code>{p.base}</code>, with no extra path. You can still type the model
          name by hand.
        </dd>
      </dl>

      <h2 id="other-apps">Other OpenAI-compatible apps</h2>
      <p>
        Any app with an “OpenAI-compatible” or “custom OpenAI” provider works the same way: base URL, key, model. If an app
        adds <code>/v1</code> itself, give it <code>{p.origin}</code>; both forms work.
      </p>
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Where</th>
              <th scope="col">Base URL</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Chatbox</th>
              <td data-label="Where">Settings → Model provider → add a custom provider (OpenAI API compatible)</td>
              <td data-label="Base URL">
                <CopyUrl url={p.base} label="Chatbox base URL" />
              </td>
            </tr>
            <tr>
              <th scope="row">Cherry Studio</th>
              <td data-label="Where">Settings → Model Provider → Add, type OpenAI</td>
              <td data-label="Base URL">
                <CopyUrl url={p.origin} label="Cherry Studio base URL" />
              </td>
            </tr>
            <tr>
              <th scope="row">LobeChat</th>
              <td data-label="Where">Settings → Language Model → OpenAI → API proxy address</td>
              <td data-label="Base URL">
                <CopyUrl url={p.base} label="LobeChat base URL" />
              </td>
            </tr>
            <tr>
              <th scope="row">Open WebUI</th>
              <td data-label="Where">Admin Settings → Connections → OpenAI API</td>
              <td data-label="Base URL">
                <CopyUrl url={p.base} label="Open WebUI base URL" />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p>
        In each, paste your key as the API key and add <code>{p.model}</code> as a model if the app doesn’t list it by
        itself.
      </p>
    </>
  );
}

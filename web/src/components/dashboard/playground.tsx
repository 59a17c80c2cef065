import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { streamChat } from '../../api/stream';
import { useI18n } from '../../i18n';
import { errorText, useAsync } from '../hooks';
import { Notice } from '../ui';

/** Sends one message with the buyer's key and renders the reply as it streams in. */
export function Playground(props: { apiKey: string; onDone(): void }) {
  const { t } = useI18n();
  const d = t.dashboard;
  const models = useAsync(() => api.keyModels(props.apiKey), [props.apiKey]);
  const [model, setModel] = useState('');
  const [prompt, setPrompt] = useState<string>(d.playDefault);
  const [reply, setReply] = useState('');
  const [reasoning, setReasoning] = useState('');
  const [busy, setBusy] = useState(false);
  const [stopped, setStopped] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);

  const ids = models.data?.data.map((m) => m.id) ?? [];
  const chosen = ids.includes(model) ? model : (ids[0] ?? '');
  useEffect(() => () => abort.current?.abort(), []);

  const send = async (event: Event) => {
    event.preventDefault();
    if (busy || !chosen || !prompt.trim()) return;
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    setStopped(false);
    setError(null);
    setReply('');
    setReasoning('');
    try {
      await streamChat(
        { key: props.apiKey, model: chosen, messages: [{ role: 'user', content: prompt }], signal: controller.signal },
        { onContent: (text) => setReply((r) => r + text), onReasoning: (text) => setReasoning((r) => r + text) },
      );
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') setStopped(true);
      else setError(e);
    } finally {
      abort.current = null;
      setBusy(false);
      props.onDone();
    }
  };

  return (
    <form class="playground" onSubmit={send}>
      <div class="field">
        <label for="play-model">{d.playModel}</label>
        <select id="play-model" value={chosen} disabled={ids.length === 0} onChange={(e) => setModel(e.currentTarget.value)}>
          {ids.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        {models.data && ids.length === 0 && <p class="help">{d.noModels}</p>}
        {models.error !== undefined && <p class="field-error">{errorText(models.error, t)}</p>}
      </div>
      <div class="field">
        <label for="play-prompt">{d.playPrompt}</label>
        <textarea id="play-prompt" rows={3} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="play-send" disabled={busy || !chosen}>
          {d.send}
        </button>
        {busy && (
          <button type="button" class="btn" id="play-stop" onClick={() => abort.current?.abort()}>
            {d.stop}
          </button>
        )}
      </div>
      {reasoning && (
        <details class="reasoning">
          <summary>{d.thinking}</summary>
          <p class="pre">{reasoning}</p>
        </details>
      )}
      <div class="reply-box" aria-live="polite" aria-busy={busy}>
        <p class="label">{d.reply}</p>
        <p class="pre" id="play-reply">
          {reply}
          {busy && <span class="cursor" aria-hidden="true" />}
          {stopped && ` ${d.stopped}`}
        </p>
      </div>
      {error !== null && (
        <Notice tone="error" id="play-error">
          {errorText(error, t)}
        </Notice>
      )}
    </form>
  );
}

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { errorText } from './hooks';

type Tone = 'info' | 'success' | 'warning' | 'error';

/** A message box; errors and warnings are announced to screen readers. */
export function Notice(props: { tone?: Tone; title?: string; children?: ComponentChildren; id?: string }) {
  const tone = props.tone ?? 'info';
  const role = tone === 'error' ? 'alert' : 'status';
  return (
    <div class={`notice notice-${tone}`} role={role} id={props.id}>
      {props.title && <p class="notice-title">{props.title}</p>}
      {props.children}
    </div>
  );
}

export function ErrorNotice(props: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <Notice tone="error">
      <p>{errorText(props.error, t)}</p>
      {props.onRetry && (
        <button type="button" class="btn btn-small" onClick={props.onRetry}>
          {t.common.retry}
        </button>
      )}
    </Notice>
  );
}

/** Shows "Loading…" only if loading takes long enough to notice. */
export function Loading(props: { delay?: number }) {
  const { t } = useI18n();
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setVisible(true), props.delay ?? 200);
    return () => clearTimeout(timer);
  }, [props.delay]);
  return (
    <p class="loading" aria-live="polite">
      {visible && (
        <>
          <span class="spinner" aria-hidden="true" /> {t.common.loading}
        </>
      )}
    </p>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function CopyButton(props: { text: string; label?: string; class?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onClick = async () => {
    const ok = await copyText(props.text);
    setState(ok ? 'copied' : 'failed');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 2000);
  };
  return (
    <>
      <button type="button" class={`btn btn-small btn-copy ${props.class ?? ''}`} onClick={onClick} aria-label={props.label ? `${t.common.copy}: ${props.label}` : undefined}>
        {state === 'copied' ? t.common.copied : t.common.copy}
      </button>
      <span class="visually-hidden" aria-live="polite">
        {state === 'copied' ? t.common.copied : ''}
      </span>
      {state === 'failed' && <span class="copy-failed">{t.common.copyFailed}</span>}
    </>
  );
}

/**
 * A URL to paste into an app, with its copy button. It may wrap only after "//" and before its path
 * (never inside the host), and on a wide screen not at all.
 */
export function CopyUrl(props: { url: string; label: string }) {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(props.url);
  const [scheme, host, path] = match ? [match[1], match[2], match[3]] : ['', props.url, ''];
  return (
    <span class="copy-url">
      <code class="url">
        {scheme}
        <wbr />
        {host}
        {path && <wbr />}
        {path}
      </code>
      <CopyButton text={props.url} label={props.label} />
    </span>
  );
}

export function CodeBlock(props: { code: string; label?: string }) {
  return (
    <div class="code">
      <div class="code-head">
        <span class="code-label">{props.label}</span>
        <CopyButton text={props.code} label={props.label} />
      </div>
      <pre tabIndex={0} aria-label={props.label}>
        <code>{props.code}</code>
      </pre>
    </div>
  );
}

/** An ARIA tablist: arrow keys move between tabs, only the chosen panel is shown. */
export function Tabs(props: { label: string; idPrefix: string; tabs: { id: string; title: string; render: () => ComponentChildren }[] }) {
  const [active, setActive] = useState(props.tabs[0]?.id ?? '');
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (event: KeyboardEvent, index: number) => {
    const count = props.tabs.length;
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % count;
    else if (event.key === 'ArrowLeft') next = (index - 1 + count) % count;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = count - 1;
    if (next < 0) return;
    event.preventDefault();
    const tab = props.tabs[next];
    if (tab) setActive(tab.id);
    refs.current[next]?.focus();
  };
  const current = props.tabs.find((tab) => tab.id === active) ?? props.tabs[0];
  return (
    <div class="tabs">
      <div role="tablist" aria-label={props.label} class="tablist">
        {props.tabs.map((tab, index) => (
          <button
            key={tab.id}
            type="button"
            role="tab"
            id={`${props.idPrefix}-tab-${tab.id}`}
            aria-controls={`${props.idPrefix}-panel`}
            aria-selected={tab.id === current?.id}
            tabIndex={tab.id === current?.id ? 0 : -1}
            ref={(el) => {
              refs.current[index] = el;
            }}
            onClick={() => setActive(tab.id)}
            onKeyDown={(e) => onKey(e, index)}
          >
            {tab.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${props.idPrefix}-panel`} aria-labelledby={`${props.idPrefix}-tab-${current?.id}`} class="tabpanel">
        {current?.render()}
      </div>
    </div>
  );
}

/** Like fmt(), but the values may be elements: "Contact {contact}." with a link inside. */
export function Fmt(props: { text: string; values: Record<string, ComponentChildren> }) {
  const parts = props.text.split(/(\{\w+\})/);
  return (
    <>
      {parts.map((part) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        return name !== undefined && name in props.values ? props.values[name] : part;
      })}
    </>
  );
}

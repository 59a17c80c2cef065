import type { ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { adminApi } from '../../api/admin';
import { useTitle } from '../../components/hooks';
import { useSite } from '../../components/site';
import { Loading, Notice } from '../../components/ui';
import { useI18n } from '../../i18n';
import { readStored, writeStored } from '../../lib/storage';
import type { PageProps } from '../../app';
import { adminErrorText, ConsoleContext, useConsole, type Console } from './shared';
import type { Dict } from '../../i18n/en';

const TOKEN_KEY = 'tollgate.admin-token';

export type Section = keyof Dict['admin']['nav'];
const SECTIONS: Section[] = ['overview', 'keys', 'orders', 'mail', 'catalog', 'upstreams', 'ledger', 'settings', 'audit'];

export interface SectionProps {
  /** what follows /admin/<section>/ in the path, e.g. a key id */
  sub: string;
  search: string;
}

type SectionModule = { default: ComponentType<SectionProps> };
const LOADERS: Record<Section, () => Promise<SectionModule>> = {
  overview: () => import('./overview'),
  keys: () => import('./keys'),
  orders: () => import('./orders'),
  mail: () => import('./mail'),
  catalog: () => import('./catalog'),
  upstreams: () => import('./upstreams'),
  ledger: () => import('./ledger'),
  settings: () => import('./settings'),
  audit: () => import('./audit'),
};

/** The console must stay out of search engines: a robots meta while it is shown. */
function useNoIndex(): void {
  useEffect(() => {
    const meta = document.createElement('meta');
    meta.name = 'robots';
    meta.content = 'noindex, nofollow';
    document.head.appendChild(meta);
    return () => meta.remove();
  }, []);
}

function parsePath(path: string): { section: Section; sub: string } {
  const parts = path.replace(/^\/admin\/?/, '').split('/').filter(Boolean);
  const first = parts[0] as Section | undefined;
  if (first && SECTIONS.includes(first)) return { section: first, sub: decodeURIComponent(parts.slice(1).join('/')) };
  return { section: 'overview', sub: '' };
}

export default function AdminConsole(props: PageProps) {
  useNoIndex();
  const [token, setToken] = useState<string | null>(() => readStored('session', TOKEN_KEY));
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((reason?: string) => {
    writeStored('session', TOKEN_KEY, null);
    setToken(null);
    setNotice(reason ?? null);
  }, []);
  const signIn = (value: string) => {
    writeStored('session', TOKEN_KEY, value);
    setNotice(null);
    setToken(value);
  };
  const ctx = useMemo<Console | null>(() => (token ? { api: adminApi(token), signOut } : null), [token, signOut]);
  if (!ctx) return <Login notice={notice} onSignIn={signIn} />;
  return (
    <ConsoleContext.Provider value={ctx}>
      <Shell path={props.loc.path} search={props.loc.search} />
    </ConsoleContext.Provider>
  );
}

function Login(props: { notice: string | null; onSignIn(token: string): void }) {
  const { t } = useI18n();
  const site = useSite();
  useTitle(t.admin.title, site?.site_name);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = value.trim();
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      // the cheapest authenticated call: it proves the token before we keep it
      await adminApi(token).settings();
      props.onSignIn(token);
    } catch (e) {
      setError(adminErrorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow admin-login">
      <h1>{t.admin.title}</h1>
      <p>{t.admin.loginLead}</p>
      {props.notice && !error && <Notice tone="warning">{props.notice}</Notice>}
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="admin-token">{t.admin.token}</label>
          <input
            id="admin-token"
            type="password"
            autocomplete="current-password"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
            aria-describedby={error ? 'admin-token-help admin-login-error' : 'admin-token-help'}
            aria-invalid={error ? 'true' : undefined}
            required
          />
          <p class="help" id="admin-token-help">
            {t.admin.tokenHelp}
          </p>
          {error && (
            <p class="field-error" id="admin-login-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" id="admin-login" class="btn btn-primary" disabled={busy}>
          {t.admin.signIn}
        </button>
      </form>
      <p class="small">
        <a href="/admin/docs">{t.admin.docs}</a>
      </p>
    </section>
  );
}

function Shell(props: { path: string; search: string }) {
  const { t } = useI18n();
  const site = useSite();
  const { section, sub } = parsePath(props.path);
  const { signOut } = useConsole();
  useTitle(`${t.admin.nav[section]} · ${t.admin.title}`, site?.site_name);
  const [mod, setMod] = useState<{ section: Section; Component: ComponentType<SectionProps> } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    LOADERS[section]().then(
      (m) => live && setMod({ section, Component: m.default }),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [section]);
  return (
    <div class="admin">
      <div class="admin-top">
        <p class="admin-brand">{t.admin.title}</p>
        <button type="button" id="admin-logout" class="btn btn-small" onClick={() => signOut()}>
          {t.admin.signOut}
        </button>
      </div>
      <nav class="admin-nav" aria-label={t.admin.sections}>
        <ul>
          {SECTIONS.map((s) => (
            <li key={s}>
              <a href={s === 'overview' ? '/admin' : `/admin/${s}`} aria-current={s === section ? 'page' : undefined} data-section={s}>
                {t.admin.nav[s]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="admin-body">
        {error ? (
          <Notice tone="error">{adminErrorText(error, t)}</Notice>
        ) : mod && mod.section === section ? (
          <mod.Component sub={sub} search={props.search} />
        ) : (
          <Loading />
        )}
      </div>
    </div>
  );
}

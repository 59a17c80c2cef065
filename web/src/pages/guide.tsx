import type { ComponentType } from 'preact';
import { api, once } from '../api/client';
import type { PageProps } from '../app';
import type { GuideProps } from '../components/guide-props';
import { useAsync, useTitle } from '../components/hooks';
import { apiBase, useSite } from '../components/site';
import { ErrorNotice, Loading } from '../components/ui';
import { type Lang, useI18n } from '../i18n';
import { GUIDE_PAGES, matchRoute, PAGE_PATHS } from '../routes';

type GuideId = (typeof GUIDE_PAGES)[number];
type Content = () => Promise<{ default: ComponentType<GuideProps> }>;

// Long guide text is per language and loaded only when read.
const CONTENT: Record<Lang, Record<GuideId, Content>> = {
  en: {
    guide: () => import('../content/en/quickstart'),
    sillytavern: () => import('../content/en/sillytavern'),
    claudeCode: () => import('../content/en/claude-code'),
    codex: () => import('../content/en/codex'),
    editor: () => import('../content/en/editor'),
  },
  zh: {
    guide: () => import('../content/zh/quickstart'),
    sillytavern: () => import('../content/zh/sillytavern'),
    claudeCode: () => import('../content/zh/claude-code'),
    codex: () => import('../content/zh/codex'),
    editor: () => import('../content/zh/editor'),
  },
};

export default function Guide(props: PageProps) {
  const { t, lang } = useI18n();
  const site = useSite();
  const route = matchRoute(props.loc.path);
  const guide: GuideId = (GUIDE_PAGES as readonly string[]).includes(route) ? (route as GuideId) : 'guide';
  const titles: Record<GuideId, string> = { guide: t.guide.quick, sillytavern: t.guide.sillytavern, claudeCode: t.guide.claudeCode, codex: t.guide.codex, editor: t.guide.editor };
  const title = titles[guide];
  useTitle(title, site?.site_name);
  const content = useAsync(() => CONTENT[lang][guide](), [lang, guide]);
  const models = useAsync(() => once('models', api.models), []);
  const base = apiBase(site);
  const guideProps: GuideProps = {
    base,
    origin: base.replace(/\/v1\/?$/, ''),
    siteName: site?.site_name ?? t.nav.brand,
    support: site?.support_contact ?? '',
    model: models.data?.data[0]?.id ?? 'deepseek-v4-flash',
    models: models.data ?? null,
  };
  const Body = content.data?.default;
  return (
    <div class="guide-layout">
      <nav class="guide-nav" aria-label={t.guide.navLabel}>
        <p class="label">{t.guide.title}</p>
        <ul>
          {GUIDE_PAGES.map((id) => (
            <li key={id}>
              <a href={PAGE_PATHS[id]} aria-current={id === guide ? 'page' : undefined}>
                {titles[id]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <article class="guide prose">
        <h1>{title}</h1>
        {Body ? <Body {...guideProps} /> : content.error ? <ErrorNotice error={content.error} onRetry={content.reload} /> : <Loading />}
      </article>
    </div>
  );
}

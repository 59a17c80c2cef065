import type { ComponentType } from 'preact';
import { api, once } from '../api/client';
import type { PageProps } from '../app';
import type { GuideProps } from '../components/guide-props';
import { useAsync, useTitle } from '../components/hooks';
import { apiBase, useSite } from '../components/site';
import { ErrorNotice, Loading } from '../components/ui';
import { type Lang, useI18n } from '../i18n';
import { matchRoute, PAGE_PATHS } from '../routes';

type GuideId = 'quickstart' | 'sillytavern';
type Content = () => Promise<{ default: ComponentType<GuideProps> }>;

// Long guide text is per language and loaded only when read.
const CONTENT: Record<Lang, Record<GuideId, Content>> = {
  en: { quickstart: () => import('../content/en/quickstart'), sillytavern: () => import('../content/en/sillytavern') },
  zh: { quickstart: () => import('../content/zh/quickstart'), sillytavern: () => import('../content/zh/sillytavern') },
};

export default function Guide(props: PageProps) {
  const { t, lang } = useI18n();
  const site = useSite();
  const guide: GuideId = matchRoute(props.loc.path) === 'sillytavern' ? 'sillytavern' : 'quickstart';
  const title = guide === 'sillytavern' ? t.guide.sillytavern : t.guide.quick;
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
  const links: [GuideId, string, string][] = [
    ['quickstart', PAGE_PATHS.guide, t.guide.quick],
    ['sillytavern', PAGE_PATHS.sillytavern, t.guide.sillytavern],
  ];
  return (
    <div class="guide-layout">
      <nav class="guide-nav" aria-label={t.guide.navLabel}>
        <p class="label">{t.guide.title}</p>
        <ul>
          {links.map(([id, href, label]) => (
            <li key={id}>
              <a href={href} aria-current={id === guide ? 'page' : undefined}>
                {label}
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

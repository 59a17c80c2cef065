import { api, once } from '../api/client';
import type { PageProps } from '../app';
import { useAsync, useTitle } from '../components/hooks';
import { Loaded } from '../components/loaded';
import { useSite } from '../components/site';
import { useI18n } from '../i18n';
import { Markdown } from '../lib/markdown';
import { matchRoute, type PolicyId } from '../routes';

/** /terms, /privacy and /refunds: the operator's Markdown in the visitor's language (English when it has no Chinese). */
export default function Policy(props: PageProps) {
  const { t, lang } = useI18n();
  const site = useSite();
  const id = matchRoute(props.loc.path) as PolicyId;
  const title = t.policy[id];
  useTitle(title, site?.site_name);
  const page = useAsync(() => once(`policy:${id}:${lang}`, () => api.policy(id)), [id, lang]);
  return (
    <article class="policy narrow-text" aria-labelledby="policy-title">
      <h1 id="policy-title">{title}</h1>
      <Loaded state={page}>
        {(p) => (
          <>
            {p.lang !== lang && (
              <p class="muted small" id="policy-english-only">
                {t.policy.englishOnly}
              </p>
            )}
            <div lang={p.lang === 'zh' ? 'zh-CN' : 'en'}>
              <Markdown source={p.markdown} id="policy-text" />
            </div>
          </>
        )}
      </Loaded>
    </article>
  );
}

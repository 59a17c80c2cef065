import { api, once } from '../api/client';
import { ErrorTable } from '../components/error-table';
import { useAsync, useTitle } from '../components/hooks';
import { SupportLink, textLang } from '../components/layout';
import { PriceSection } from '../components/prices';
import { QuickStartTabs } from '../components/quickstart';
import { apiBase, useSite } from '../components/site';
import { Loaded } from '../components/loaded';
import { CodeBlock, Fmt } from '../components/ui';
import { useI18n } from '../i18n';
import { fmt } from '../lib/format';
import { PAGE_PATHS } from '../routes';

export default function Home() {
  const { t } = useI18n();
  const site = useSite();
  const models = useAsync(() => once('models', api.models), []);
  useTitle(t.home.title, site?.site_name);
  const siteName = site?.site_name ?? t.nav.brand;
  const base = apiBase(site);
  const model = models.data?.data[0]?.id ?? 'deepseek-v4-flash';

  return (
    <>
      <section class="hero">
        <h1>{t.home.heroTitle}</h1>
        <p class="lead">{fmt(t.home.heroLead, { site: siteName })}</p>
        <p class="actions">
          <a class="btn btn-primary" href={PAGE_PATHS.pricing}>
            {t.home.ctaPricing}
          </a>
          <a class="btn" href="#quick-start">
            {t.home.ctaStart}
          </a>
        </p>
      </section>

      <section aria-labelledby="how">
        <h2 id="how">{t.home.howTitle}</h2>
        <ol class="steps">
          <li>
            <h3>{t.home.step1Title}</h3>
            <p>{t.home.step1}</p>
          </li>
          <li>
            <h3>{t.home.step2Title}</h3>
            <p>{t.home.step2}</p>
          </li>
          <li>
            <h3>{t.home.step3Title}</h3>
            <p>{t.home.step3}</p>
          </li>
        </ol>
      </section>

      <section aria-labelledby="models">
        <h2 id="models">{t.home.modelsTitle}</h2>
        <p>{t.home.modelsLead}</p>
        <Loaded state={models}>{(data) => <PriceSection models={data} />}</Loaded>
      </section>

      <section aria-labelledby="quick-start">
        <h2 id="quick-start" tabIndex={-1}>
          {t.home.quickTitle}
        </h2>
        <p>{t.home.quickLead}</p>
        <CodeBlock code={base} label={t.home.baseUrl} />
        <QuickStartTabs base={base} model={model} />
        <p>
          <a href={PAGE_PATHS.guide}>{t.home.moreGuides}</a>
        </p>
      </section>

      <section aria-labelledby="errors">
        <h2 id="errors">{t.home.errorsTitle}</h2>
        <p>{t.home.errorsLead}</p>
        <ErrorTable />
      </section>

      <section aria-labelledby="about">
        <h2 id="about">{t.home.aboutTitle}</h2>
        <p>{fmt(t.home.operator, { name: siteName })}</p>
        {site && <p lang={textLang(site, 'disclaimer')}>{site.disclaimer}</p>}
        {site?.support_contact && (
          <p>
            <Fmt text={t.home.supportLine} values={{ contact: <SupportLink contact={site.support_contact} lang={textLang(site, 'support_contact')} /> }} />
          </p>
        )}
      </section>
    </>
  );
}

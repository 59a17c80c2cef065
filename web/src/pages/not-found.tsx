import type { PageProps } from '../app';
import { useTitle } from '../components/hooks';
import { useSite } from '../components/site';
import { useI18n } from '../i18n';
import { fmt } from '../lib/format';
import { PAGE_PATHS } from '../routes';

export default function NotFound(props: PageProps) {
  const { t } = useI18n();
  const site = useSite();
  useTitle(t.notFound.title, site?.site_name);
  return (
    <section class="card narrow not-found">
      <p class="big" aria-hidden="true">
        404
      </p>
      <h1>{t.notFound.title}</h1>
      <p>{fmt(t.notFound.lead, { path: props.loc.path })}</p>
      <p>
        <a class="btn btn-primary" href={PAGE_PATHS.home}>
          {t.notFound.home}
        </a>
      </p>
    </section>
  );
}

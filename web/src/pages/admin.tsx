import { useTitle } from '../components/hooks';
import { useSite } from '../components/site';
import { useI18n } from '../i18n';

/** Placeholder until the operator console lands; it makes no API calls. */
export default function Admin() {
  const { t } = useI18n();
  const site = useSite();
  useTitle(t.admin.title, site?.site_name);
  return (
    <section class="card narrow">
      <h1>{t.admin.title}</h1>
      <p>{t.admin.lead}</p>
      <p>
        <a class="btn" href="/docs">
          {t.admin.docs}
        </a>
      </p>
    </section>
  );
}

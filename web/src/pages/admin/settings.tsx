import { useEffect, useState } from 'preact/hooks';
import { Loading } from '../../components/ui';
import { useI18n } from '../../i18n';
import { usdInput } from '../../lib/format';
import { Field, value } from './fields';
import { AdminErrorNotice, SaveRow, useAction, useLoad } from './shared';

export default function Settings() {
  const { t } = useI18n();
  const s = t.admin.settings;
  const loaded = useLoad((api) => api.settings(), []);
  const action = useAction();
  const [f, setF] = useState({ site_name: '', disclaimer: '', support_contact: '', show_reasoning_default: false, low_balance_warning_usd: '' });
  useEffect(() => {
    const d = loaded.data;
    if (d) setF({ ...d, low_balance_warning_usd: usdInput(d.low_balance_warning_usd) });
  }, [loaded.data]);
  if (!loaded.data) return loaded.error ? <AdminErrorNotice error={loaded.error} /> : <Loading />;
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await action.run((api) => api.saveSettings({ ...f, low_balance_warning_usd: f.low_balance_warning_usd.trim() }));
    if (saved) loaded.setData(saved);
  };
  return (
    <>
      <h1>{t.admin.nav.settings}</h1>
      <form class="card admin-form narrow" onSubmit={submit} id="settings-form">
        <Field id="settings-site" label={s.siteName}>
          <input id="settings-site" value={f.site_name} onInput={(e) => setF({ ...f, site_name: value(e) })} />
        </Field>
        <Field id="settings-disclaimer" label={s.disclaimer}>
          <textarea id="settings-disclaimer" rows={3} value={f.disclaimer} onInput={(e) => setF({ ...f, disclaimer: value(e) })} />
        </Field>
        <Field id="settings-support" label={s.supportContact}>
          <input id="settings-support" value={f.support_contact} onInput={(e) => setF({ ...f, support_contact: value(e) })} />
        </Field>
        <Field id="settings-url" label={s.publicUrl} help={s.publicUrlHelp}>
          <input id="settings-url" readOnly value={loaded.data.public_url} aria-describedby="settings-url-help" />
        </Field>
        <Field id="settings-low" label={s.lowBalance}>
          <input id="settings-low" inputMode="decimal" value={f.low_balance_warning_usd} onInput={(e) => setF({ ...f, low_balance_warning_usd: value(e) })} />
        </Field>
        <div class="field">
          <label class="check">
            <input
              type="checkbox"
              checked={f.show_reasoning_default}
              onChange={(e) => setF({ ...f, show_reasoning_default: (e.currentTarget as HTMLInputElement).checked })}
            />
            {s.showReasoning}
          </label>
        </div>
        <SaveRow action={action} />
      </form>
    </>
  );
}

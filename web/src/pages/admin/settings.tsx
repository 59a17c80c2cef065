import { useEffect, useState } from 'preact/hooks';
import { TRANSLATED_SETTINGS, type Settings as SiteSettings, type TranslatedSetting } from '../../api/admin';
import { Loading, Notice } from '../../components/ui';
import { useI18n } from '../../i18n';
import { usdInput } from '../../lib/format';
import { Field, value } from './fields';
import { AdminErrorNotice, SaveRow, useAction, useLoad } from './shared';

type Form = Omit<SiteSettings, 'public_url' | 'missing_zh'>;

const POLICIES = ['terms', 'privacy', 'refunds'] as const;

/** The form's copy of the settings (money as an input's text). */
function formOf(d: SiteSettings): Form {
  const { public_url: _url, missing_zh: _missing, ...rest } = d;
  return { ...rest, low_balance_warning_usd: usdInput(d.low_balance_warning_usd) };
}

/** A Chinese text is missing where the English one says something and the Chinese one is empty. */
export const missingZh = (en: string, zh: string) => en.trim() !== '' && zh.trim() === '';

/** The mark beside a Chinese field that is empty: Chinese pages show the English text instead. */
export function MissingZh(props: { id: string }) {
  const { t } = useI18n();
  return (
    <p class="help admin-missing-zh" id={props.id} data-missing-zh>
      <span class="badge badge-pending">{t.admin.settings.missingZh}</span> {t.admin.settings.missingZhHelp}
    </p>
  );
}

/** One operator text as an English and a Chinese field side by side (stacked on a phone). */
function TextPair(props: { name: TranslatedSetting; label: string; rows?: number; help?: string; form: Form; set(name: keyof Form, text: string): void }) {
  const { t } = useI18n();
  const s = t.admin.settings;
  const { name, form } = props;
  const zhName = `${name}_zh` as keyof Form;
  const en = form[name] as string;
  const zh = form[zhName] as string;
  const missing = missingZh(en, zh);
  const input = (id: string, field: keyof Form, text: string, lang: string, describedBy?: string) =>
    props.rows ? (
      <textarea id={id} rows={props.rows} lang={lang} value={text} aria-describedby={describedBy} onInput={(e) => props.set(field, value(e))} />
    ) : (
      <input id={id} lang={lang} value={text} aria-describedby={describedBy} onInput={(e) => props.set(field, value(e))} />
    );
  return (
    <fieldset class="admin-pair" data-text={name}>
      <legend>{props.label}</legend>
      {props.help && <p class="help">{props.help}</p>}
      <div class="admin-pair-fields">
        <Field id={`settings-${name}`} label={s.english}>
          {input(`settings-${name}`, name, en, 'en')}
        </Field>
        <div class="field">
          <label for={`settings-${name}-zh`}>{s.chinese}</label>
          {input(`settings-${name}-zh`, zhName, zh, 'zh-CN', missing ? `settings-${name}-zh-missing` : undefined)}
          {missing && <MissingZh id={`settings-${name}-zh-missing`} />}
        </div>
      </div>
    </fieldset>
  );
}

export default function Settings() {
  const { t } = useI18n();
  const s = t.admin.settings;
  const loaded = useLoad((api) => api.settings(), []);
  const action = useAction();
  const [f, setF] = useState<Form | null>(null);
  useEffect(() => {
    if (loaded.data) setF(formOf(loaded.data));
  }, [loaded.data]);
  if (!loaded.data || !f) return loaded.error ? <AdminErrorNotice error={loaded.error} /> : <Loading />;
  const set = (name: keyof Form, text: string) => setF({ ...f, [name]: text });
  const submit = async (e: Event) => {
    e.preventDefault();
    const saved = await action.run((api) => api.saveSettings({ ...f, low_balance_warning_usd: f.low_balance_warning_usd.trim() }));
    if (saved) loaded.setData(saved);
  };
  const missing = TRANSLATED_SETTINGS.filter((name) => missingZh(f[name], f[`${name}_zh`]));
  const labels: Record<TranslatedSetting, string> = {
    disclaimer: s.disclaimer,
    support_contact: s.supportContact,
    announcement: s.announcement,
    terms: t.policy.terms,
    privacy: t.policy.privacy,
    refunds: t.policy.refunds,
  };
  return (
    <>
      <h1>{t.admin.nav.settings}</h1>
      <form onSubmit={submit} id="settings-form" class="admin-settings">
        <section class="card admin-form" aria-labelledby="settings-site-title">
          <h2 id="settings-site-title">{s.siteTitle}</h2>
          <Field id="settings-site" label={s.siteName}>
            <input id="settings-site" value={f.site_name} onInput={(e) => set('site_name', value(e))} />
          </Field>
          <Field id="settings-url" label={s.publicUrl} help={s.publicUrlHelp}>
            <input id="settings-url" readOnly value={loaded.data.public_url} aria-describedby="settings-url-help" />
          </Field>
          <Field id="settings-low" label={s.lowBalance}>
            <input id="settings-low" inputMode="decimal" value={f.low_balance_warning_usd} onInput={(e) => set('low_balance_warning_usd', value(e))} />
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
        </section>
        <section class="card admin-form" aria-labelledby="settings-texts-title">
          <h2 id="settings-texts-title">{s.textsTitle}</h2>
          <p class="help">{s.textsHelp}</p>
          {missing.length > 0 && (
            <Notice tone="warning" id="settings-missing-zh">
              <p>{s.missingSummary}</p>
              <ul>
                {missing.map((name) => (
                  <li key={name}>
                    <a href={`#settings-${name}-zh`}>{labels[name]}</a>
                  </li>
                ))}
              </ul>
            </Notice>
          )}
          <TextPair name="disclaimer" label={s.disclaimer} rows={3} form={f} set={set} />
          <TextPair name="support_contact" label={s.supportContact} help={s.supportContactHelp} form={f} set={set} />
          <TextPair name="announcement" label={s.announcement} rows={2} help={s.announcementHelp} form={f} set={set} />
        </section>
        <section class="card admin-form" aria-labelledby="settings-policies-title">
          <h2 id="settings-policies-title">{s.policiesTitle}</h2>
          <p class="help">{s.policiesHelp}</p>
          {POLICIES.map((name) => (
            <TextPair key={name} name={name} label={labels[name]} rows={10} form={f} set={set} />
          ))}
        </section>
        <SaveRow action={action} id="settings" submitId="settings-save" />
      </form>
    </>
  );
}

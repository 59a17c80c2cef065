import { useEffect, useRef, useState } from 'preact/hooks';
import { api, once } from '../api/client';
import type { Plan, TypicalRequest } from '../api/types';
import type { PageProps } from '../app';
import { errorText, useAsync, useTitle } from '../components/hooks';
import { SupportLink, textLang } from '../components/layout';
import { PriceSection } from '../components/prices';
import { useSite } from '../components/site';
import { Loaded } from '../components/loaded';
import { pendingTopUpKey, TopUpKeyField } from '../components/topup/topup';
import { Fmt, Money, Notice } from '../components/ui';
import { useI18n } from '../i18n';
import { fmt, integer, roughCount, usd } from '../lib/format';
import { STORAGE_KEYS, writeStored } from '../lib/storage';
import { PAGE_PATHS } from '../routes';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const untranslated = (plan: Plan, field: string) => (plan.untranslated?.includes(field) ? 'en' : undefined);

function PlanCard(props: { plan: Plan; canBuy: boolean; onBuy(plan: Plan): void }) {
  const { t, lang } = useI18n();
  const { plan } = props;
  const limit = (n: number, template: string) => (n > 0 ? fmt(template, { n: integer(n, lang) }) : t.common.unlimited);
  return (
    <article class="card plan" aria-labelledby={`plan-${plan.id}`} data-plan-card={plan.id}>
      <h3 id={`plan-${plan.id}`} lang={untranslated(plan, 'name')}>
        {plan.name}
      </h3>
      <p class="plan-price">
        <Money value={plan.price_usd} />
      </p>
      <p class="plan-budget">
        <Fmt text={t.pricing.budget} values={{ amount: <Money value={plan.budget_usd} /> }} />
      </p>
      {plan.typical_requests !== undefined && plan.typical_requests > 0 && (
        <p class="plan-estimate" data-typical={plan.typical_requests}>
          {fmt(t.pricing.estimate, { n: roughCount(plan.typical_requests, lang) })}
          <a href="#typical-request" class="footnote-ref" aria-label={t.pricing.estimateHow}>
            *
          </a>
        </p>
      )}
      {plan.description && (
        <p class="muted plan-description" lang={untranslated(plan, 'description')}>
          {plan.description}
        </p>
      )}
      <dl class="facts">
        <dt>{t.pricing.models}</dt>
        <dd>
          {plan.models.map((m) => (
            <code key={m}>{m}</code>
          ))}
        </dd>
        <dt>{t.pricing.rate}</dt>
        <dd>{limit(plan.rpm, t.common.perMinute)}</dd>
        <dt>{t.pricing.concurrency}</dt>
        <dd>{limit(plan.max_concurrency, t.common.atOnce)}</dd>
        <dt>{t.pricing.validity}</dt>
        <dd>{fmt(t.common.days, { n: integer(plan.validity_days, lang) })}</dd>
      </dl>
      <button
        type="button"
        class="btn btn-primary btn-block"
        disabled={!props.canBuy}
        data-plan={plan.id}
        aria-label={fmt(t.pricing.buyPlan, { plan: plan.name })}
        onClick={() => props.onBuy(plan)}
      >
        {t.pricing.buy}
      </button>
    </article>
  );
}

function BuyDialog(props: { plan: Plan | null; topupKey: string | null; onClose(): void }) {
  const { t, lang } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const [email, setEmail] = useState('');
  const [topupKey, setTopupKey] = useState(props.topupKey ?? '');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { plan } = props;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (plan && !dialog.open) {
      setError(null);
      setInvalid(false);
      setBusy(false);
      dialog.showModal();
    } else if (!plan && dialog.open) dialog.close();
  }, [plan]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!plan || busy) return;
    const value = email.trim();
    if (!EMAIL.test(value)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setBusy(true);
    setError(null);
    try {
      const result = await api.checkout(plan.id, value, topupKey.trim() || undefined);
      if (result.view_token) {
        writeStored('local', STORAGE_KEYS.lastOrder, JSON.stringify({ order_id: result.order_id, view: result.view_token }));
      }
      window.location.assign(result.approve_url);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="dialog" aria-labelledby="buy-title" onClose={props.onClose}>
      {plan && (
        <form onSubmit={submit} noValidate>
          <h2 id="buy-title">{fmt(topupKey.trim() ? t.topup.dialogTitle : t.pricing.buyPlan, { plan: plan.name })}</h2>
          <p>
            {fmt(t.pricing.dialogLead, {
              price: usd(plan.price_usd),
              budget: usd(plan.budget_usd),
              days: integer(plan.validity_days, lang),
            })}
          </p>
          <div class="field">
            <label for="buy-email">{t.pricing.email}</label>
            <input
              id="buy-email"
              name="email"
              type="email"
              autoComplete="email"
              inputMode="email"
              required
              value={email}
              aria-invalid={invalid}
              aria-describedby={invalid ? 'buy-email-help buy-email-error' : 'buy-email-help'}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <p id="buy-email-help" class="help">
              {t.pricing.emailHelp}
            </p>
            {invalid && (
              <p id="buy-email-error" class="field-error" role="alert">
                {t.pricing.invalidEmail}
              </p>
            )}
          </div>
          {(props.topupKey !== null || topupKey !== '') && <TopUpKeyField value={topupKey} onInput={setTopupKey} />}
          {error !== null && <Notice tone="error">{errorText(error, t)}</Notice>}
          <p class="muted small">{t.pricing.paypalNote}</p>
          <p class="small" id="buy-terms">
            <Fmt
              text={t.pricing.acceptTerms}
              values={{
                terms: (
                  <a href={PAGE_PATHS.terms} target="_blank" rel="noopener">
                    {t.policy.terms}
                  </a>
                ),
                refunds: (
                  <a href={PAGE_PATHS.refunds} target="_blank" rel="noopener">
                    {t.policy.refunds}
                  </a>
                ),
              }}
            />
          </p>
          <div class="actions">
            <button type="submit" class="btn btn-primary" id="buy-submit" disabled={busy}>
              {busy ? t.pricing.redirecting : t.pricing.continue}
            </button>
            <button type="button" class="btn" onClick={props.onClose}>
              {t.common.cancel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}

/** What happens when the budget or the validity runs out, and what the request estimate assumes. */
function Endings(props: { typical: TypicalRequest | undefined }) {
  const { t, lang } = useI18n();
  const p = t.pricing;
  return (
    <section aria-labelledby="endings-title" class="card endings">
      <h2 id="endings-title">{p.endingsTitle}</h2>
      <dl class="facts wide">
        <dt>{p.budgetEndTitle}</dt>
        <dd id="budget-end">{p.budgetEnd}</dd>
        <dt>{p.validityEndTitle}</dt>
        <dd id="validity-end">{p.validityEnd}</dd>
      </dl>
      {props.typical && (
        <p class="muted small" id="typical-request">
          *{' '}
          {fmt(p.estimateAssumes, {
            input: integer(props.typical.input_tokens, lang),
            hit: integer(props.typical.cache_hit_tokens, lang),
            output: integer(props.typical.output_tokens, lang),
            period: props.typical.period === 'peak' ? p.atPeak : p.atOffPeak,
          })}
        </p>
      )}
    </section>
  );
}

export default function Pricing(props: PageProps) {
  const { t, lang } = useI18n();
  const site = useSite();
  useTitle(t.pricing.title, site?.site_name);
  const plans = useAsync(() => once(`plans:${lang}`, api.plans), [lang]);
  const models = useAsync(() => once('models', api.models), []);
  const [buying, setBuying] = useState<Plan | null>(null);
  const [topupKey] = useState(() => pendingTopUpKey(props.loc.search));
  const cancelled = new URLSearchParams(props.loc.search).get('cancelled');
  const canBuy = site?.checkout_enabled === true;

  return (
    <>
      <h1>{t.pricing.title}</h1>
      <p class="lead">{t.pricing.lead}</p>
      {topupKey && (
        <Notice tone="info" id="topup-notice">
          <p>{t.topup.pricingLead}</p>
        </Notice>
      )}
      {cancelled && (
        <Notice tone="warning" id="cancelled-notice">
          <p>{fmt(t.pricing.cancelled, { order: cancelled })}</p>
        </Notice>
      )}
      {site && !site.checkout_enabled && (
        <Notice tone="warning" id="checkout-off">
          <p>
            <Fmt text={t.pricing.checkoutOff} values={{ contact: <SupportLink contact={site.support_contact} lang={textLang(site, 'support_contact')} /> }} />
          </p>
        </Notice>
      )}
      {site?.checkout_enabled && site.paypal_mode === 'sandbox' && <p class="muted small">{t.pricing.sandbox}</p>}

      <section aria-label={t.pricing.plansLabel}>
        <Loaded state={plans}>
          {(list) => (
            <>
              <div class="grid plans">
                {list.data.map((plan) => (
                  <PlanCard key={plan.id} plan={plan} canBuy={canBuy} onBuy={setBuying} />
                ))}
              </div>
              <Endings typical={list.typical_request} />
            </>
          )}
        </Loaded>
      </section>

      <section aria-labelledby="token-prices">
        <h2 id="token-prices">{t.pricing.pricesTitle}</h2>
        <p>{t.pricing.pricesLead}</p>
        <Loaded state={models}>{(data) => <PriceSection models={data} />}</Loaded>
      </section>

      <BuyDialog plan={buying} topupKey={topupKey} onClose={() => setBuying(null)} />
    </>
  );
}

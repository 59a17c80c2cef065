import { useI18n } from '../../i18n';
import { downloadFile } from '../../lib/download';
import type { SectionProps } from './index';
import { LedgerTable } from './ledger-table';
import { LedgerRefusals } from './refusals';
import { Field, value } from './fields';
import { ActionResult, FilterForm, PagedList, useAction, useFilteredList } from './shared';

const toIso = (local: string) => (local ? new Date(local).toISOString() : '');

const PROTOCOLS = ['chat', 'fim', 'anthropic', 'responses'] as const;

const ledgerQuery = (f: { key_id: string; protocol: string; model: string; status: string; from: string; to: string }) => ({
  key_id: f.key_id.trim(),
  protocol: f.protocol,
  model: f.model.trim(),
  status: f.status.trim(),
  from: toIso(f.from),
  to: toIso(f.to),
});

export default function Ledger(props: SectionProps) {
  const { t } = useI18n();
  const l = t.admin.ledger;
  const initialKey = new URLSearchParams(props.search).get('key_id') ?? '';
  const { draft, setDraft, filter, offset, setOffset, list, apply } = useFilteredList({ key_id: initialKey, protocol: '', model: '', status: '', from: '', to: '' }, (api, f, page) => api.ledger({ ...ledgerQuery(f), ...page }));
  const query = ledgerQuery(filter);
  const csv = useAction();
  const download = () =>
    void csv.run(
      async (api) => {
        const blob = await api.ledgerCsv(query);
        downloadFile(`ledger-${new Date().toISOString().slice(0, 10)}.csv`, blob);
      },
      () => null,
    );
  const set = (name: keyof typeof draft) => (e: Event) => setDraft({ ...draft, [name]: value(e) });
  return (
    <>
      <div class="admin-head">
        <h1>{t.admin.nav.ledger}</h1>
        <button type="button" class="btn" id="ledger-csv" disabled={csv.busy} onClick={download}>
          {l.csv}
        </button>
      </div>
      <ActionResult error={csv.error} done={null} />
      <FilterForm onSubmit={apply}>
        <Field id="ledger-key" label={l.keyId}>
          <input id="ledger-key" value={draft.key_id} onInput={set('key_id')} />
        </Field>
        <Field id="ledger-protocol" label={l.protocol}>
          <select id="ledger-protocol" value={draft.protocol} onChange={set('protocol')}>
            <option value="">{l.anyProtocol}</option>
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {t.common.protocols[p]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="ledger-model" label={l.model}>
          <input id="ledger-model" value={draft.model} onInput={set('model')} />
        </Field>
        <Field id="ledger-status" label={l.status}>
          <input id="ledger-status" value={draft.status} onInput={set('status')} />
        </Field>
        <Field id="ledger-from" label={l.from}>
          <input id="ledger-from" type="datetime-local" value={draft.from} onInput={set('from')} />
        </Field>
        <Field id="ledger-to" label={l.to}>
          <input id="ledger-to" type="datetime-local" value={draft.to} onInput={set('to')} />
        </Field>
      </FilterForm>
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => <LedgerTable rows={rows} id="ledger-table" showKey />}
      </PagedList>
      <LedgerRefusals keyId={query.key_id} from={query.from} to={query.to} />
    </>
  );
}

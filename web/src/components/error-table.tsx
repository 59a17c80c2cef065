import { useI18n } from '../i18n';

export function ErrorTable() {
  const { t } = useI18n();
  const e = t.errors;
  const rows: [string, string, string][] = [
    ['401', e.e401, e.e401Action],
    ['402', e.e402, e.e402Action],
    ['403', e.e403, e.e403Action],
    ['429', e.e429, e.e429Action],
    ['5xx', e.e5xx, e.e5xxAction],
  ];
  return (
    <div class="table-wrap">
      <table class="errors stack">
        <thead>
          <tr>
            <th scope="col">{e.status}</th>
            <th scope="col">{e.meaning}</th>
            <th scope="col">{e.action}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([status, meaning, action]) => (
            <tr key={status}>
              <th scope="row">
                <code>{status}</code>
              </th>
              <td data-label={e.meaning}>{meaning}</td>
              <td data-label={e.action}>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

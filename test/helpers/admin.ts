type J = Record<string, any>;

/** Calls /admin/api on a running gateway with its admin token. */
export function adminClient(baseUrl: string, token: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: J; headers: Headers }> {
    const res = await fetch(`${baseUrl}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: J;
    try {
      parsed = text ? (JSON.parse(text) as J) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
  return {
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    del: (path: string) => call('DELETE', path),
  };
}

export type AdminClient = ReturnType<typeof adminClient>;

/** Audit rows straight from the database, newest first. */
export function auditRows(sqlite: { query(sql: string): { all(...params: (string | number)[]): unknown[] } }, action: string): J[] {
  return (sqlite.query('SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC').all(action) as J[]).map((r) => ({
    ...r,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  }));
}

import { Elysia, t } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { constantTimeEqual } from '../../lib/keys';
import { isLocalOrTrusted, type ServerLike } from '../../plugins/auth';

const OPS = ['Operations'];

const Health = t.Object(
  {
    status: t.Union([t.Literal('ok'), t.Literal('degraded')], {
      description: '`degraded` when no upstream key is in rotation (chat requests answer 503), or in the scale-out mode when Redis does not answer (limits are per instance meanwhile)',
    }),
    database: t.Optional(t.Literal('ok', { description: 'only for loopback, the trusted proxies and the metrics token' })),
    redis: t.Optional(
      t.Union([t.Literal('ok'), t.Literal('unreachable')], { description: 'the scale-out mode only; only for loopback, the trusted proxies and the metrics token' }),
    ),
    upstreams: t.Optional(
      t.Object(
        { active: t.Integer({ description: 'upstream keys in rotation' }), total: t.Integer({ description: 'upstream keys configured' }) },
        { description: 'only for loopback, the trusted proxies and the metrics token' },
      ),
    ),
  },
  { examples: [{ status: 'ok', database: 'ok', upstreams: { active: 2, total: 2 } }, { status: 'ok' }] },
);

const ErrorBody = t.Object({
  error: t.Object({ message: t.String(), type: t.String(), code: t.String({ examples: ['database_unavailable'] }), param: t.Union([t.String(), t.Null()]) }),
});

const METRICS_EXAMPLE = `# HELP tollgate_http_requests_total HTTP requests answered, by route pattern, status and public model.
# TYPE tollgate_http_requests_total counter
tollgate_http_requests_total{route="/v1/chat/completions",status="200",model="deepseek-v4-flash"} 42
# HELP tollgate_open_streams Streaming responses currently open.
# TYPE tollgate_open_streams gauge
tollgate_open_streams 3
`;

export const opsModule = (deps: Deps) => {
  const store = deps.backend.stores.ops;
  const { metricsToken, trustedProxies } = deps.config;

  const hasMetricsToken = (request: Request) => {
    if (metricsToken === undefined) return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization')?.slice(0, 1024) ?? '');
    return match !== null && constantTimeEqual(match[1] as string, metricsToken);
  };
  /** /metrics: the token when one is set (401 without it); otherwise this machine and the trusted proxies only (403). */
  function allowMetrics(request: Request, server: ServerLike | null): void {
    if (metricsToken !== undefined) {
      if (!hasMetricsToken(request)) throw Err.invalidMetricsToken();
    } else if (!isLocalOrTrusted(server, request, trustedProxies)) {
      throw Err.metricsForbidden();
    }
  }
  /** Who sees the health details: whoever may read /metrics, and this machine and the trusted proxies. */
  const seesDetail = (request: Request, server: ServerLike | null) => hasMetricsToken(request) || isLocalOrTrusted(server, request, trustedProxies);

  function upstreamCounts() {
    // a key the operator removed stays in the pool (its id can be restored) but is no longer configured
    const upstreams = deps.pool.list().filter((u) => u.state !== 'removed');
    return { active: upstreams.filter((u) => u.state === 'active').length, total: upstreams.length };
  }

  return new Elysia({ name: 'ops' })
    .get(
      '/healthz',
      async ({ request, server }) => {
        try {
          await store.ping();
        } catch {
          throw Err.serviceUnavailable('database unavailable', 'database_unavailable');
        }
        const upstreams = upstreamCounts();
        const redis = deps.backend.redis ? ((await deps.backend.redis.ping()) ? ('ok' as const) : ('unreachable' as const)) : undefined;
        const status = upstreams.active > 0 && redis !== 'unreachable' ? ('ok' as const) : ('degraded' as const);
        if (!seesDetail(request, server)) return { status };
        return redis === undefined ? { status, database: 'ok' as const, upstreams } : { status, database: 'ok' as const, redis, upstreams };
      },
      {
        response: { 200: Health, 503: ErrorBody },
        detail: {
          tags: OPS,
          summary: 'Health: the database, Redis (scale-out mode) and the upstream rotation',
          description:
            'Answers 200 while the database answers. `status` is `degraded` (still 200) when no upstream DeepSeek key is in rotation: chat requests then fail with 503, but a load balancer should not pull the only instance for it; alert on it instead. In the scale-out mode `redis` says whether Redis answers; while it does not, `status` is `degraded` (still 200: budgets never depend on Redis, and limits and lockouts fall back to each instance’s own counters). 503 `database_unavailable` when the database does not answer. Only `status` is shown to callers other than loopback, the trusted proxies (`TOLLGATE_TRUSTED_PROXIES`) and holders of `TOLLGATE_METRICS_TOKEN`.',
        },
      },
    )
    .get(
      '/metrics',
      async ({ request, server }) => {
        allowMetrics(request, server);
        const databaseBytes = await store.databaseBytes();
        const shared = deps.backend.redis;
        const redis = shared ? { up: await shared.ping(), fallbacks: shared.fallbacks() } : undefined;
        return new Response(deps.metrics.render({ holds: deps.metering.holdsTotal(), databaseBytes, upstreams: upstreamCounts(), redis }), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' },
        });
      },
      {
        detail: {
          tags: OPS,
          summary: 'Prometheus metrics (text format 0.0.4)',
          description:
            'Counters: `tollgate_http_requests_total{route,status,model}`, `tollgate_upstream_errors_total{upstream,reason}` (upstream key ids, never keys), `tollgate_settled_requests_total{model,basis}`, `tollgate_tokens_total{model,kind}` (kind: cache_hit, cache_miss, output, reasoning), `tollgate_cost_usd_total{model}`, `tollgate_request_log_lines_total`. Histograms: `tollgate_http_request_duration_seconds{route}`, `tollgate_upstream_request_duration_seconds{model}`, `tollgate_upstream_ttfb_seconds{model}`. Gauges: `tollgate_open_streams`, `tollgate_holds_outstanding`, `tollgate_holds_outstanding_usd`, `tollgate_database_bytes`, `tollgate_upstreams_active`, `tollgate_upstreams_total`; in the scale-out mode also `tollgate_redis_up` and the counter `tollgate_redis_fallbacks_total{kind}` (decisions made without Redis). No label names the instance: Prometheus’s own `instance` label tells instances apart. With `TOLLGATE_METRICS_TOKEN` set, only `Authorization: Bearer TOLLGATE_METRICS_TOKEN` gets them (401 `invalid_metrics_token` otherwise); without it, only loopback and the trusted proxies (`TOLLGATE_TRUSTED_PROXIES`, the client address as X-Forwarded-For names it) do (403 `metrics_forbidden` otherwise).',
          responses: {
            200: { description: 'Prometheus text exposition format', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' }, example: METRICS_EXAMPLE } } },
            401: { description: '`invalid_metrics_token`: TOLLGATE_METRICS_TOKEN is set and was not sent', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            403: { description: '`metrics_forbidden`: no metrics token is set and the caller is neither loopback nor a trusted proxy', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          },
        },
      },
    );
};

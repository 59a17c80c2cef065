// Prometheus metrics for GET /metrics. Everything here is an in-memory increment: the proxy is the
// hot path, so recording never parses, copies or queries. Label values come only from bounded
// sets (route patterns, status codes, resolved public models, upstream ids), never from what a
// client typed, so a client cannot grow the series without bound.

/** Seconds; covers a cached /healthz (sub-ms) up to a long generation (minutes). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export type TokenKind = 'cache_hit' | 'cache_miss' | 'output' | 'reasoning';

/** The gauges read when /metrics is scraped, not kept up to date on every request. */
export interface ScrapeGauges {
  holds: { count: number; nano: number };
  databaseBytes: number;
  upstreams: { active: number; total: number };
  /** the scale-out mode's Redis: whether it answered this scrape's PING, and the decisions made without it since start (by kind) */
  redis?: { up: boolean; fallbacks: Record<string, number> };
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function newHistogram(buckets: number[]): Histogram {
  return { counts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 };
}

function observe(h: Histogram, buckets: number[], seconds: number): void {
  h.sum += seconds;
  h.count++;
  // Non-cumulative here; made cumulative when rendered.
  for (let i = 0; i < buckets.length; i++) {
    if (seconds <= (buckets[i] as number)) {
      (h.counts[i] as number)++;
      return;
    }
  }
}

/** Escapes a label value as the text format wants: backslash, double quote and newline. */
function esc(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

const SEP = '\u0001';

export function createMetrics() {
  const requests = new Map<string, number>(); // route SEP status SEP model
  const latency = new Map<string, Histogram>(); // route
  const upstreamDuration = new Map<string, Histogram>(); // model
  const ttfb = new Map<string, Histogram>(); // model
  const upstreamErrors = new Map<string, number>(); // upstream id SEP reason
  const tokens = new Map<string, number>(); // model SEP kind
  const costNano = new Map<string, number>(); // model
  const settled = new Map<string, number>(); // model SEP basis
  let openStreams = 0;
  let logLines = 0;

  const add = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
  /** the series keys of one model's token counters, made once (a key made by concatenation is flattened and hashed anew each time) */
  const tokenKeys = new Map<string, readonly [string, string, string, string]>();
  const tokenKeysOf = (model: string) => {
    let keys = tokenKeys.get(model);
    if (!keys) tokenKeys.set(model, (keys = [model + SEP + 'cache_hit', model + SEP + 'cache_miss', model + SEP + 'output', model + SEP + 'reasoning']));
    return keys;
  };
  const histogram = (map: Map<string, Histogram>, key: string, buckets: number[]) => {
    let h = map.get(key);
    if (!h) map.set(key, (h = newHistogram(buckets)));
    return h;
  };

  function renderHistogram(out: string[], name: string, help: string, label: string, map: Map<string, Histogram>, buckets: number[]) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const [key, h] of map) {
      let cumulative = 0;
      for (let i = 0; i < buckets.length; i++) {
        cumulative += h.counts[i] as number;
        out.push(`${name}_bucket${labels({ [label]: key, le: String(buckets[i]) })} ${cumulative}`);
      }
      out.push(`${name}_bucket${labels({ [label]: key, le: '+Inf' })} ${h.count}`);
      out.push(`${name}_sum${labels({ [label]: key })} ${h.sum}`);
      out.push(`${name}_count${labels({ [label]: key })} ${h.count}`);
    }
  }

  function renderCounter(out: string[], name: string, help: string, names: string[], map: Map<string, number>, scale = 1) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [key, value] of map) {
      const values = key.split(SEP);
      out.push(`${name}${labels(Object.fromEntries(names.map((n, i) => [n, values[i] ?? ''])))} ${value / scale}`);
    }
  }

  const gauge = (out: string[], name: string, help: string, value: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);

  return {
    /** One answered HTTP request; `model` is the resolved public model or '' (never the client's text). */
    request(route: string, status: number, model: string, durationMs: number): void {
      add(requests, route + SEP + status + SEP + model);
      observe(histogram(latency, route, LATENCY_BUCKETS), LATENCY_BUCKETS, durationMs / 1000);
    },
    /** A proxied request settled: its tokens, cost and upstream timings. */
    settled(model: string, usage: Record<TokenKind, number>, cost: number, basis: string, durationMs: number, ttfbMs: number | null): void {
      const keys = tokenKeysOf(model);
      add(tokens, keys[0], usage.cache_hit);
      add(tokens, keys[1], usage.cache_miss);
      add(tokens, keys[2], usage.output);
      add(tokens, keys[3], usage.reasoning);
      add(costNano, model, cost);
      add(settled, model + SEP + basis);
      observe(histogram(upstreamDuration, model, LATENCY_BUCKETS), LATENCY_BUCKETS, durationMs / 1000);
      if (ttfbMs !== null) observe(histogram(ttfb, model, TTFB_BUCKETS), TTFB_BUCKETS, ttfbMs / 1000);
    },
    /** An upstream key failed a request: `reason` is its HTTP status, `connect`, `timeout` or `stream`. */
    upstreamError(upstreamId: string, reason: string): void {
      add(upstreamErrors, upstreamId + SEP + reason);
    },
    streamOpened(): void {
      openStreams++;
    },
    streamClosed(): void {
      openStreams--;
    },
    requestLogged(): void {
      logLines++;
    },
    openStreams: () => openStreams,

    render(gauges: ScrapeGauges): string {
      const out: string[] = [];
      renderCounter(out, 'tollgate_http_requests_total', 'HTTP requests answered, by route pattern, status and public model.', ['route', 'status', 'model'], requests);
      renderHistogram(out, 'tollgate_http_request_duration_seconds', 'Time to the response head (for streams: to the first header, not the end).', 'route', latency, LATENCY_BUCKETS);
      renderHistogram(out, 'tollgate_upstream_request_duration_seconds', 'Proxied requests from admission to settle (whole stream included).', 'model', upstreamDuration, LATENCY_BUCKETS);
      renderHistogram(out, 'tollgate_upstream_ttfb_seconds', "Time from admission to DeepSeek's first byte.", 'model', ttfb, TTFB_BUCKETS);
      renderCounter(out, 'tollgate_upstream_errors_total', 'Upstream failures per upstream key id (never the key) and reason.', ['upstream', 'reason'], upstreamErrors);
      renderCounter(out, 'tollgate_settled_requests_total', 'Proxied requests settled in the ledger, by model and usage basis.', ['model', 'basis'], settled);
      renderCounter(out, 'tollgate_tokens_total', 'Billed tokens by model and kind (reasoning is part of output).', ['model', 'kind'], tokens);
      renderCounter(out, 'tollgate_cost_usd_total', 'Billed cost in USD (float; the ledger holds the exact nano-USD).', ['model'], costNano, 1e9);
      gauge(out, 'tollgate_open_streams', 'Streaming responses currently open.', openStreams);
      gauge(out, 'tollgate_holds_outstanding', 'Budget holds of requests in flight.', gauges.holds.count);
      gauge(out, 'tollgate_holds_outstanding_usd', 'USD held by requests in flight.', gauges.holds.nano / 1e9);
      gauge(out, 'tollgate_database_bytes', 'Database size: SQLite page_count * page_size plus the WAL file, or pg_database_size on PostgreSQL.', gauges.databaseBytes);
      gauge(out, 'tollgate_upstreams_active', 'Upstream keys in rotation.', gauges.upstreams.active);
      gauge(out, 'tollgate_upstreams_total', 'Upstream keys configured.', gauges.upstreams.total);
      if (gauges.redis) {
        gauge(out, 'tollgate_redis_up', 'Whether Redis answered PING for this scrape (scale-out mode).', gauges.redis.up ? 1 : 0);
        renderCounter(out, 'tollgate_redis_fallbacks_total', 'Decisions this instance made without Redis (its own counters) since start, by what decided.', ['kind'], new Map(Object.entries(gauges.redis.fallbacks)));
      }
      out.push('# HELP tollgate_request_log_lines_total Request log lines written.', '# TYPE tollgate_request_log_lines_total counter', `tollgate_request_log_lines_total ${logLines}`);
      return `${out.join('\n')}\n`;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

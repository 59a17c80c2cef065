// The floor for this runtime: a minimal Bun fetch pass-through proxy with nothing else to do.
const port = Number(process.argv[2]);
const upstream = process.argv[3] as string;
const upstreamKey = process.argv[4] as string;

Bun.serve({
  port,
  hostname: '127.0.0.1',
  idleTimeout: 255,
  async fetch(req) {
    const url = new URL(req.url);
    const res = await fetch(`${upstream}${url.pathname.replace(/^\/v1/, '')}`, {
      method: req.method,
      headers: { authorization: `Bearer ${upstreamKey}`, 'content-type': 'application/json' },
      body: req.method === 'POST' ? await req.text() : undefined,
    });
    return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } });
  },
});
console.log('ready');

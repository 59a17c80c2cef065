import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// `vite web` for development: the API calls go to a gateway on :8080 (`bun run demo` or `bun run start`).
const gateway = process.env.TOLLGATE_DEV_API ?? 'http://127.0.0.1:8080';
const proxied = ['/api', '/v1', '/docs', '/checkout', '/paypal-sandbox', '/user'];

export default defineConfig({
  root,
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: Object.fromEntries(proxied.map((path) => [path, gateway])) },
});

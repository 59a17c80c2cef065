// Reads every log file a test run left in DIR (see test/helpers/log-tee.ts) and fails if any
// line carries a secret: a full API key, a bearer or basic credential, an admin token, a PayPal
// access token or client secret, an upstream DeepSeek key, an order view token.
// Usage: bun run test/log-audit.ts DIR   (exit 0: clean; 1: a secret found or nothing to audit)

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PAYPAL_CLIENT_SECRET } from './helpers/checkout';
import { UPSTREAM_KEY } from './helpers/stack';

/** Secret shapes. The logger's redact() leaves `sk-gat…[redacted]`, which none of these match. */
export const SECRET_PATTERNS: { name: string; pattern: RegExp }[] = [
  { name: 'an API key', pattern: /sk-gateway-[A-Za-z0-9]{40}/ },
  { name: 'an sk- key', pattern: /\bsk-[A-Za-z0-9_-]{8,}/ },
  { name: 'a bearer credential', pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/i },
  { name: 'a basic credential', pattern: /\bBasic\s+[A-Za-z0-9+/=]{8,}/i },
  { name: 'an admin token', pattern: /tg-admin-[A-Za-z0-9_-]{12,}/ },
  { name: 'a PayPal access token', pattern: /A21AA[A-Za-z0-9_-]{20,}/ },
  { name: 'an order view token', pattern: /[?&"]view(=|":")[A-Za-z0-9]{32}/ },
  { name: 'a client secret field', pattern: /client_secret["=:\s]+[^\s",}]{4,}/i },
];

/** The simulators' and test helpers' own secrets, as exact strings. */
export const KNOWN_SECRETS = [PAYPAL_CLIENT_SECRET, 'demo-secret', UPSTREAM_KEY, 'sk-crash-test'];

export interface Finding {
  file: string;
  line: number;
  what: string;
  text: string;
}

/** The line with every secret in it cut down to its first characters. */
export function redactFinding(text: string): string {
  let out = text.length > 400 ? `${text.slice(0, 400)}…` : text;
  for (const { pattern } of SECRET_PATTERNS) out = out.replace(new RegExp(pattern.source, `${pattern.flags}g`), (m) => `${m.slice(0, 6)}…[secret]`);
  for (const secret of KNOWN_SECRETS) out = out.replaceAll(secret, `${secret.slice(0, 3)}…[secret]`);
  return out;
}

export function auditText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    const shape = SECRET_PATTERNS.find(({ pattern }) => pattern.test(line));
    const known = KNOWN_SECRETS.find((secret) => line.includes(secret));
    if (shape || known) findings.push({ file, line: index + 1, what: shape?.name ?? 'a test secret', text: redactFinding(line) });
  });
  return findings;
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: bun run test/log-audit.ts DIR\n');
    process.exit(2);
  }
  const files = readdirSync(dir).filter((name) => name.endsWith('.log') && statSync(join(dir, name)).isFile());
  let lines = 0;
  const findings: Finding[] = [];
  for (const name of files) {
    const text = readFileSync(join(dir, name), 'utf8');
    lines += text.split('\n').length - 1;
    findings.push(...auditText(name, text));
  }
  if (lines === 0) {
    process.stderr.write(`log audit: no log lines in ${dir}; is TOLLGATE_TEST_LOG_DIR reaching the test helpers?\n`);
    process.exit(1);
  }
  for (const f of findings.slice(0, 50)) process.stderr.write(`log audit: ${f.file}:${f.line}: ${f.what}: ${f.text}\n`);
  if (findings.length > 0) {
    process.stderr.write(`log audit: ${findings.length} line(s) with secrets in ${lines} log lines from ${files.length} file(s)\n`);
    process.exit(1);
  }
  process.stdout.write(`log audit: ${lines} log lines from ${files.length} file(s), no secrets\n`);
}

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './gateway';
import { freePort } from './process';

// A real SMTP server on loopback for the mail tests: Debian's python3-aiosmtpd, delivering into a
// Maildir that the tests read. Started and stopped by PID; Debian's own interpreter is named, since
// another python3 may come first on PATH.

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface ReceivedMail {
  file: string;
  headers: Record<string, string>;
  subject: string;
  from: string;
  to: string;
  messageId: string;
  text: string;
  html: string;
}

export interface SmtpServer {
  port: number;
  /** TOLLGATE_SMTP_URL for it */
  url: string;
  dir: string;
  /** every mail delivered so far, oldest first */
  messages(): ReceivedMail[];
  /** waits until `count` mails match (default: any mail) */
  waitFor(match?: (mail: ReceivedMail) => boolean, count?: number, ms?: number): Promise<ReceivedMail[]>;
  /** stops the server (its mails stay readable) */
  stop(): Promise<void>;
  /** starts it again on the same port and Maildir */
  restart(): Promise<void>;
  /** stops it and removes its Maildir */
  close(): Promise<void>;
}

async function listening(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      socket.end();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`the SMTP server did not listen on ${port}`);
      await Bun.sleep(50);
    }
  }
}

/** Starts aiosmtpd on a free port (or `port`), delivering into a Maildir under a temp dir. */
export async function startSmtpServer(opts: { port?: number } = {}): Promise<SmtpServer> {
  const port = opts.port ?? freePort();
  const dir = tempDir('tollgate-smtp-');
  // aiosmtpd makes the Maildir (with its tmp, new and cur) when the folder does not exist yet
  const maildir = join(dir, 'Maildir');
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  async function start(): Promise<void> {
    proc = Bun.spawn([SYSTEM_PYTHON, '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdout: 'ignore', stderr: 'ignore' });
    await listening(port, 10_000);
  }

  async function stop(): Promise<void> {
    const running = proc;
    proc = null;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGTERM');
    await running.exited;
  }

  function messages(): ReceivedMail[] {
    const folder = join(maildir, 'new');
    let files: string[] = [];
    try {
      files = readdirSync(folder);
    } catch {
      return [];
    }
    // Maildir names are "<seconds>.M<microseconds>P<pid>Q<count>.<host>" (Python's mailbox): sort by
    // the delivery time, the microseconds as a number (they are not zero-padded, so comparing the
    // names as text puts M95000 after M123456 within one second)
    const timeOf = (name: string) => {
      const match = /^(\d+)\.M(\d+)/.exec(name);
      return match ? Number(match[1]) * 1e6 + Number(match[2]) : 0;
    };
    return files
      .map((name) => ({ name, time: timeOf(name) }))
      .sort((a, b) => a.time - b.time || a.name.localeCompare(b.name))
      .map(({ name }) => parseMail(name, readFileSync(join(folder, name), 'utf8')));
  }

  await start();
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    dir: maildir,
    messages,
    async waitFor(match = () => true, count = 1, ms = 15_000) {
      const until = Date.now() + ms;
      for (;;) {
        const found = messages().filter(match);
        if (found.length >= count) return found;
        if (Date.now() > until) throw new Error(`timed out waiting for ${count} mail(s); ${found.length} matched of ${messages().length}: ${messages().map((m) => m.subject).join(' | ')}`);
        await Bun.sleep(50);
      }
    },
    stop,
    restart: start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- a small MIME reader: enough for what nodemailer writes (multipart/alternative, QP, base64, encoded words)

function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_, charset: string, encoding: string, text: string) => {
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qpBytes(text.replace(/_/g, ' '));
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  });
}

function qpBytes(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i] as string;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(out);
}

function splitEntity(raw: string): { headers: Record<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, '\n');
  const cut = normalized.indexOf('\n\n');
  const head = cut === -1 ? normalized : normalized.slice(0, cut);
  const body = cut === -1 ? '' : normalized.slice(cut + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return qpBytes(body).toString('utf8');
  return body;
}

export function parseMail(file: string, raw: string): ReceivedMail {
  const { headers, body } = splitEntity(raw);
  let text = '';
  let html = '';
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1).map((part) => splitEntity(part.replace(/^\n/, ''))) : [{ headers, body }];
  for (const part of parts) {
    const partType = (part.headers['content-type'] ?? 'text/plain').toLowerCase();
    const content = decodeBody(part.headers, part.body).replace(/\n$/, '');
    if (partType.startsWith('text/html')) html = content;
    else if (partType.startsWith('text/plain')) text = content;
  }
  return {
    file,
    headers,
    subject: decodeWords(headers.subject ?? ''),
    from: decodeWords(headers.from ?? ''),
    to: headers.to ?? '',
    messageId: headers['message-id'] ?? '',
    text,
    html,
  };
}

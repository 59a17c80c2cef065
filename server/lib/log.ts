import { writeSync } from 'node:fs';
import type { LogLevel } from '../config';

// One JSON object per line. Callers never pass secrets; `redact` scrubs what might slip through.

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_PATTERNS: RegExp[] = [/\bsk-[A-Za-z0-9_-]{8,}/g, /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, /\bBasic\s+[A-Za-z0-9+/=]{8,}/gi];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, (m) => `${m.slice(0, 6)}…[redacted]`), text);
}

/** Only a line with one of these can hold what redact() scrubs: the others skip its three patterns. */
const MAYBE_SECRET = /sk-|bearer|basic/i;

// Lines written in one event-loop turn go out in one write at the end of it (a busy gateway logs a
// line per request); whatever is still buffered when the process exits is written synchronously.
let buffered = '';
let flushScheduled = false;
const FLUSH_AT_CHARS = 64 * 1024;

function flushStdout(): void {
  flushScheduled = false;
  if (buffered === '') return;
  const out = buffered;
  buffered = '';
  process.stdout.write(out);
}

process.on('exit', () => {
  if (buffered === '') return;
  const out = buffered;
  buffered = '';
  try {
    writeSync(1, out);
  } catch {
    // stdout is gone: nothing left to tell
  }
});

/** The default sink: stdout, buffered for the rest of the turn. */
export function bufferedStdout(line: string): void {
  buffered += line;
  if (buffered.length >= FLUSH_AT_CHARS) flushStdout();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStdout);
  }
}

/** `{"time":…,"level":…,"msg":…, …fields}` without copying the fields into a new object (a field named like one of the three wins, as in a spread). */
function render(at: LogLevel, msg: string, fields: Record<string, unknown> | undefined): string {
  const head = `{"time":"${new Date().toISOString()}","level":"${at}","msg":${JSON.stringify(msg)}`;
  if (fields === undefined) return `${head}}`;
  const rest = JSON.stringify(fields);
  return rest.length <= 2 ? `${head}}` : `${head},${rest.slice(1)}`;
}

export function createLogger(level: LogLevel, write: (line: string) => void = bufferedStdout): Logger {
  const emit = (at: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const line = render(at, msg, fields);
    write(`${MAYBE_SECRET.test(line) ? redact(line) : line}\n`);
  };
  return {
    level,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

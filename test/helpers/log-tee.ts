import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// When TOLLGATE_TEST_LOG_DIR is set (CI sets it for `bun test`), every log line the test helpers
// capture is also appended to a file there, so test/log-audit.ts can prove afterwards that a whole
// test run logged no key, token or secret. Without the variable nothing is written.

const DIR = process.env.TOLLGATE_TEST_LOG_DIR;

/** Appends log text from one source ("gateway", "process-stderr", …) when the audit is on. */
export function teeLog(source: string, text: string): void {
  if (!DIR || text === '') return;
  mkdirSync(DIR, { recursive: true });
  appendFileSync(join(DIR, `${source}-${process.pid}.log`), text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * What a spawned gateway or CLI wrote that counts as a log: all of stderr, and the JSON log lines
 * of stdout. Other stdout lines are the command's own answer (`keys create` prints the new key,
 * a first start prints the admin token once), which is where those secrets are meant to go.
 */
export function teeProcessOutput(stream: 'stdout' | 'stderr', text: string): void {
  if (!DIR) return;
  const lines = stream === 'stderr' ? text : text.split('\n').filter((line) => line.startsWith('{')).join('\n');
  teeLog(`process-${stream}`, lines);
}

/** Splits a process's pipe: the returned branch goes to the caller, the other to the audit files. */
export function teeProcessStream(stream: 'stdout' | 'stderr', pipe: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  if (!DIR) return pipe;
  const [audit, caller] = pipe.tee();
  void (async () => {
    const decoder = new TextDecoder();
    let carry = '';
    for await (const chunk of audit) {
      carry += decoder.decode(chunk, { stream: true });
      const end = carry.lastIndexOf('\n');
      if (end < 0) continue;
      teeProcessOutput(stream, carry.slice(0, end + 1));
      carry = carry.slice(end + 1);
    }
    teeProcessOutput(stream, carry + decoder.decode());
  })().catch(() => {});
  return caller;
}

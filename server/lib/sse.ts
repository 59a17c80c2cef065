// Server-sent events, split with a carry buffer: bytes arrive in arbitrary pieces, events
// end at a blank line. Nothing here buffers more than one unfinished event.

export interface SseEvent {
  /** joined `data:` lines, or null when the event has none (a comment-only event) */
  data: string | null;
  /** the raw comment lines (starting with ':') in the event */
  comments: string[];
  /** the `event:` line's value, read only by a splitter made for typed streams (Anthropic Messages, Responses) */
  event?: string;
}

/** An unfinished event longer than this is not an SSE stream we can trust; push() throws. */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseSplitter {
  private carry = '';
  private readonly decoder = new TextDecoder();

  /** With `typed`, each event keeps its `event:` line's value (data-only streams have none to keep). */
  constructor(private readonly typed = false) {}

  /** Feeds bytes; returns the events completed by them. */
  push(bytes: Uint8Array): SseEvent[] {
    this.carry += this.decoder.decode(bytes, { stream: true });
    const events = this.drain(false);
    if (this.carry.length > MAX_EVENT_CHARS) {
      this.carry = '';
      throw new RangeError(`an SSE event grew past ${MAX_EVENT_CHARS} characters without ending`);
    }
    return events;
  }

  /** Ends the input; a final event without its blank line still counts. */
  end(): SseEvent[] {
    this.carry += this.decoder.decode();
    return this.drain(true);
  }

  /** What is buffered but not yet a whole event (for estimating a cut stream). */
  pending(): string {
    return this.carry;
  }

  private drain(final: boolean): SseEvent[] {
    // A '\r' at the very end may be the first half of a '\r\n' cut by a chunk boundary: turned
    // into '\n' now, the '\n' that follows would make a blank line and end the event early.
    const heldCr = !final && this.carry.endsWith('\r');
    if (heldCr) this.carry = this.carry.slice(0, -1);
    if (this.carry.includes('\r')) this.carry = this.carry.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = this.carry.indexOf('\n\n', start);
      if (end < 0) break;
      const event = parseEvent(this.carry.slice(start, end), this.typed);
      if (event) events.push(event);
      start = end + 2;
    }
    this.carry = start === 0 ? this.carry : this.carry.slice(start);
    if (heldCr) this.carry += '\r';
    if (final && this.carry.trim() !== '') {
      const event = parseEvent(this.carry, this.typed);
      if (event) events.push(event);
      this.carry = '';
    }
    return events;
  }
}

function parseEvent(block: string, typed: boolean): SseEvent | null {
  let data: string | null = null;
  let type: string | undefined;
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      comments.push(line);
    } else if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === null ? value : `${data}\n${value}`;
    } else if (typed && line.startsWith('event:')) {
      type = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
    }
    // `id:` and `retry:` lines are not used by DeepSeek's streams.
  }
  if (data === null && comments.length === 0) return null;
  return type === undefined ? { data, comments } : { data, comments, event: type };
}

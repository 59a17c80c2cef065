import type { Period, ServerToolKind } from '../../db/schema';

// Pure price-book arithmetic: which period is in force at an instant, and what usage costs.

export interface PeakWindow {
  /** ISO weekdays: 1 = Monday … 7 = Sunday */
  days: number[];
  /** local "HH:MM", inclusive */
  start: string;
  /** local "HH:MM", exclusive */
  end: string;
}

export interface PriceSchedule {
  timeZone: string;
  peakWindows: PeakWindow[];
  /** local dates "YYYY-MM-DD" that are off-peak all day */
  holidays: string[];
}

export interface TokenPrices {
  cacheHitNano: number;
  cacheMissNano: number;
  outputNano: number;
}

/** Calls of DeepSeek's server-side tools, per kind (absent: none). */
export type ServerToolCalls = Partial<Record<ServerToolKind, number>>;

export interface Usage {
  cacheHitTokens: number;
  cacheMissTokens: number;
  /** completion tokens, reasoning included */
  outputTokens: number;
  reasoningTokens: number;
  /** DeepSeek's server-side tool calls (usage.server_tool_use, and the files sent for parsing) */
  serverTools?: ServerToolCalls;
}

/** A server tool's per-call price as the price book keeps it (nano-USD per call, per period). */
export interface ToolPrice {
  tool: ServerToolKind;
  /** the public model it applies to, or '*' for every model */
  modelId: string;
  peakCallNano: number;
  offPeakCallNano: number;
  /** the most calls of this tool one request is held for and billed */
  maxCalls: number;
}

export const SERVER_TOOL_KINDS: readonly ServerToolKind[] = ['web_search', 'read_url', 'file_parse'];

/** The calls billed for a tool: what DeepSeek reported, never more than the request was held for. */
export function billedCalls(calls: number | undefined, price: ToolPrice): number {
  return Math.min(wholeCount(calls ?? 0), price.maxCalls);
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

export interface LocalTime {
  date: string;
  weekday: number;
  minutes: number;
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

export function periodAt(schedule: PriceSchedule, at: Date): Period {
  const local = localTime(at, schedule.timeZone);
  if (schedule.holidays.includes(local.date)) return 'off_peak';
  const inWindow = schedule.peakWindows.some(
    (w) => w.days.includes(local.weekday) && local.minutes >= toMinutes(w.start) && local.minutes < toMinutes(w.end),
  );
  return inWindow ? 'peak' : 'off_peak';
}

/**
 * Cost in nano-USD: every price is a whole number of nano-USD per token, so this is exact, and
 * refuses (RangeError) anything that would leave the range where a double counts every nano.
 */
export function costOf(usage: Usage, prices: TokenPrices): number {
  const cost =
    wholeCount(usage.cacheHitTokens) * wholeCount(prices.cacheHitNano) +
    wholeCount(usage.cacheMissTokens) * wholeCount(prices.cacheMissNano) +
    wholeCount(usage.outputTokens) * wholeCount(prices.outputNano);
  if (!Number.isSafeInteger(cost)) throw new RangeError(`cost out of the exact range: ${JSON.stringify({ usage, prices })}`);
  return cost;
}

function wholeCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a whole non-negative number: ${n}`);
  return n;
}

export function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function isValidSchedule(schedule: PriceSchedule): string | null {
  try {
    formatterFor(schedule.timeZone);
  } catch {
    return `unknown time zone ${schedule.timeZone}`;
  }
  for (const w of schedule.peakWindows) {
    if (!/^([01]\d|2[0-4]):[0-5]\d$/.test(w.start) || !/^([01]\d|2[0-4]):[0-5]\d$/.test(w.end)) return 'times must be HH:MM';
    if (toMinutes(w.start) >= toMinutes(w.end)) return `window ${w.start}-${w.end} ends before it starts`;
    if (w.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) return 'days are 1 (Monday) to 7 (Sunday)';
  }
  if (schedule.holidays.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d))) return 'holidays are YYYY-MM-DD dates';
  return null;
}

import type { Deps } from '../deps';
import { formatUsd, parseUsd } from '../lib/money';

export class UsageError extends Error {}

function wholeNumber(flags: Record<string, string>, name: string): number | undefined {
  const text = flags[name];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, not "${text}"`);
  return Number(text);
}

function usd(text: string | undefined, what: string): number {
  if (text === undefined) throw new UsageError(`${what} is missing`);
  try {
    return parseUsd(text);
  } catch {
    throw new UsageError(`${what} must be a USD amount like 5 or 2.50, not "${text}"`);
  }
}

/** `tollgate keys create|list|topup|disable`: operator key work without the web console. */
export async function runKeysCommand(deps: Deps, positionals: string[], flags: Record<string, string>, out: (line: string) => void): Promise<void> {
  const { metering, catalog } = deps;
  const [action, ...rest] = positionals;
  switch (action) {
    case 'create': {
      const planId = flags.plan;
      if (!planId) throw new UsageError('keys create needs --plan ID');
      if (!catalog.plan(planId)) throw new UsageError(`unknown plan "${planId}" (plans: ${catalog.plans({ includeRetired: true }).map((p) => p.id).join(', ')})`);
      const { key } = await metering.createKey({
        planId,
        budgetNano: flags.budget === undefined ? undefined : usd(flags.budget, '--budget'),
        email: flags.email ?? null,
        note: flags.note ?? null,
        rpmOverride: wholeNumber(flags, 'rpm') ?? null,
        concurrencyOverride: wholeNumber(flags, 'concurrency') ?? null,
        expiresDays: wholeNumber(flags, 'expires-days') ?? null,
      });
      out(key);
      return;
    }
    case 'list': {
      out(['id', 'key', 'plan', 'status', 'budget_usd', 'spent_usd', 'expires', 'email'].join('\t'));
      for (const k of await metering.listKeys({ limit: 10_000 })) {
        out([k.id, k.keyHint, k.planId, k.status, formatUsd(k.budgetNano), formatUsd(k.spentNano), k.expiresAt ? new Date(k.expiresAt).toISOString() : 'never', k.email ?? ''].join('\t'));
      }
      return;
    }
    case 'topup': {
      const [target, amount] = rest;
      if (!target || amount === undefined) throw new UsageError('usage: tollgate keys topup KEY_OR_ID USD');
      const key = await metering.findKey(target);
      if (!key) throw new UsageError(`no key matches "${target.slice(0, 14)}…"`);
      const row = await metering.topUp(key.id, usd(amount, 'the amount'));
      out(`${row.id} budget ${formatUsd(row.budgetNano)} USD, spent ${formatUsd(row.spentNano)} USD, ${row.status}`);
      return;
    }
    case 'disable': {
      const [target] = rest;
      if (!target) throw new UsageError('usage: tollgate keys disable KEY_OR_ID');
      const key = await metering.findKey(target);
      if (!key) throw new UsageError(`no key matches "${target.slice(0, 14)}…"`);
      await metering.setStatus(key.id, 'disabled', 'disabled by the operator');
      out(`${key.id} disabled`);
      return;
    }
    default:
      throw new UsageError(`unknown keys command "${action ?? ''}" (create, list, topup, disable)`);
  }
}

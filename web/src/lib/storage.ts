// Web storage that never throws (private windows, disabled storage, quota).

type Area = 'local' | 'session';

function area(which: Area): Storage | null {
  try {
    return which === 'local' ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function readStored(which: Area, key: string): string | null {
  try {
    return area(which)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function writeStored(which: Area, key: string, value: string | null): void {
  try {
    const store = area(which);
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // storage full or disabled: the value just isn't kept
  }
}

export const STORAGE_KEYS = {
  lang: 'tollgate.lang',
  apiKey: 'tollgate.key',
  lastOrder: 'tollgate.last-order',
  /** the key a "Top up this key" button hands to the pricing page (this tab only) */
  topupKey: 'tollgate.topup-key',
} as const;

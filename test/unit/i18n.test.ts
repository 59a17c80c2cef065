import { describe, expect, it } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';

const CONTENT = join(import.meta.dir, '../../web/src/content');
const LANGS = { en, zh } as const;

type Tree = { readonly [key: string]: string | Tree };

/** Every leaf as "a.b.c" → value. */
function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object') for (const [k, v] of leaves(value as Tree, path)) out.set(k, v);
    else out.set(path, value);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the dictionaries', () => {
  const source = leaves(en as Tree);

  it('have a good number of strings to check', () => {
    expect(source.size).toBeGreaterThan(150);
  });

  for (const [lang, dict] of Object.entries(LANGS)) {
    const strings = leaves(dict as Tree);

    it(`${lang} has every key of en and no other`, () => {
      expect([...strings.keys()].sort()).toEqual([...source.keys()].sort());
    });

    it(`${lang} has no missing or empty string`, () => {
      const bad = [...strings].filter(([, value]) => typeof value !== 'string' || value.trim() === '').map(([key]) => key);
      expect(bad).toEqual([]);
    });

    it(`${lang} keeps the {placeholders} of every en string`, () => {
      const wrong = [...source]
        .filter(([key, value]) => JSON.stringify(placeholders(String(value))) !== JSON.stringify(placeholders(String(strings.get(key) ?? ''))))
        .map(([key]) => key);
      expect(wrong).toEqual([]);
    });
  }

  it('zh is really translated: most strings differ from en and contain Chinese', () => {
    const zhStrings = leaves(zh as Tree);
    const chinese = [...zhStrings.values()].filter((v) => /[\u4e00-\u9fff]/.test(String(v)));
    expect(chinese.length / zhStrings.size).toBeGreaterThan(0.85);
  });
});

describe('the guide content files', () => {
  const files = (lang: string) => readdirSync(join(CONTENT, lang)).filter((f) => f.endsWith('.tsx')).sort();

  it('exist for English', () => {
    expect(files('en')).toEqual(expect.arrayContaining(['quickstart.tsx', 'sillytavern.tsx']));
  });

  for (const lang of Object.keys(LANGS)) {
    it(`exist in ${lang} for every English file and no other`, () => {
      expect(files(lang)).toEqual(files('en'));
    });

    it(`are non-trivial in ${lang}`, async () => {
      for (const file of files(lang)) {
        const text = await Bun.file(join(CONTENT, lang, file)).text();
        expect(text.length).toBeGreaterThan(2000);
        expect(text).toContain('export default function');
      }
    });
  }

  it('has a folder for every language and only those', () => {
    expect(readdirSync(CONTENT).sort()).toEqual(Object.keys(LANGS).sort());
  });
});

describe('choosing the language', () => {
  it('takes ?lang= first, then the saved choice, then the browser, then English', async () => {
    const { detectLang } = await import('../../web/src/i18n/index');
    expect(detectLang('?lang=zh', 'en', ['en-US'])).toBe('zh');
    expect(detectLang('?lang=en', 'zh', ['zh-CN'])).toBe('en');
    expect(detectLang('?lang=fr', 'zh', ['en-US'])).toBe('zh');
    expect(detectLang('', null, ['fr-FR', 'zh-TW', 'en'])).toBe('zh');
    expect(detectLang('', null, ['fr-FR'])).toBe('en');
  });
});

describe('money and numbers for people', () => {
  it('shows dollars with two decimals, more only under a cent, and the exact amount for titles', async () => {
    const { usd, usdExact, sumUsd, costOf } = await import('../../web/src/lib/format');
    expect(usd('5.000000000')).toBe('$5.00');
    expect(usd('4.250000000')).toBe('$4.25');
    // rounded to the cent, half up
    expect(usd('4.253000000')).toBe('$4.25');
    expect(usd('4.255000000')).toBe('$4.26');
    expect(usd('1234.500000001')).toBe('$1,234.50');
    expect(usd('-0.500000000')).toBe('−$0.50');
    // under a cent: three significant digits, so a request's cost never reads $0.00
    expect(usd('0.006000000')).toBe('$0.006');
    expect(usd('0.000513000')).toBe('$0.000513');
    expect(usd('0.004256000')).toBe('$0.00426');
    expect(usd('0.000000001')).toBe('$0.000000001');
    expect(usd('0.000000000')).toBe('$0.00');
    expect(usdExact('1234.500000001')).toBe('$1,234.500000001');
    expect(usdExact('0.000513000')).toBe('$0.000513000');
    expect(sumUsd(['0.100000000', '0.200000000', '0.000000001'])).toBe('0.300000001');
    // 2,500 tokens at $0.30 per million = $0.00075
    expect(costOf(2500, '0.300000000')).toBe('0.000750000');
  });
});

import type { Thinking } from '../../db/schema';
import type { PriceSchedule } from './price-book';

// The data an operator starts from; all of it is editable later through the admin API.

export const DEFAULT_MODELS = [
  { id: 'deepseek-v4-flash', displayName: 'DeepSeek V4 Flash', upstreamModel: 'deepseek-flash', thinking: null, maxOutputTokens: 393_216, sortOrder: 1 },
  { id: 'deepseek-v4-pro', displayName: 'DeepSeek V4 Pro', upstreamModel: 'deepseek-v4-pro', thinking: null, maxOutputTokens: 393_216, sortOrder: 2 },
];

export const DEFAULT_ALIASES: { alias: string; modelId: string; thinking: Thinking | null }[] = [
  { alias: 'deepseek-chat', modelId: 'deepseek-v4-flash', thinking: 'disabled' },
  { alias: 'deepseek-reasoner', modelId: 'deepseek-v4-flash', thinking: 'enabled' },
  { alias: 'deepseek-coder', modelId: 'deepseek-v4-flash', thinking: null },
  { alias: 'deepseek-flash', modelId: 'deepseek-v4-flash', thinking: null },
];

/** DeepSeek's price book (USD per 1M tokens → nano-USD per token), peak and off-peak. */
export const DEFAULT_PRICES = [
  { modelId: 'deepseek-v4-flash', period: 'peak', cacheHitNano: 6, cacheMissNano: 300, outputNano: 1200 },
  { modelId: 'deepseek-v4-flash', period: 'off_peak', cacheHitNano: 3, cacheMissNano: 150, outputNano: 600 },
  { modelId: 'deepseek-v4-pro', period: 'peak', cacheHitNano: 44, cacheMissNano: 1320, outputNano: 3960 },
  { modelId: 'deepseek-v4-pro', period: 'off_peak', cacheHitNano: 22, cacheMissNano: 660, outputNano: 1980 },
] as const;

export const DEFAULT_SCHEDULE: PriceSchedule = {
  timeZone: 'Asia/Shanghai',
  peakWindows: [
    { days: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' },
    { days: [1, 2, 3, 4, 5], start: '14:00', end: '18:00' },
  ],
  // Chinese public holidays that fall on weekdays; the operator keeps this list current.
  holidays: [
    '2026-01-01', '2026-01-02',
    '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-23',
    '2026-04-06',
    '2026-05-01', '2026-05-04', '2026-05-05',
    '2026-06-19',
    '2026-09-25',
    '2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07',
    '2027-01-01',
  ],
};

const USD = 1_000_000_000;

export const DEFAULT_PLANS = [
  {
    id: 'trial', name: 'Trial', description: 'Try the flash model for a week.',
    nameZh: '体验版', descriptionZh: '用一周时间试用 flash 模型。',
    priceNano: 1 * USD, budgetNano: 0.8 * USD, models: ['deepseek-v4-flash'],
    rpm: 30, maxConcurrency: 2, validityDays: 7, sortOrder: 1,
  },
  {
    id: 'starter', name: 'Starter', description: 'For personal projects and chat apps.',
    nameZh: '入门版', descriptionZh: '适合个人项目和聊天应用。',
    priceNano: 5 * USD, budgetNano: 4.25 * USD, models: ['deepseek-v4-flash'],
    rpm: 30, maxConcurrency: 4, validityDays: 30, sortOrder: 2,
  },
  {
    id: 'standard', name: 'Standard', description: 'More budget and twice the request rate.',
    nameZh: '标准版', descriptionZh: '更多额度，请求速率翻倍。',
    priceNano: 20 * USD, budgetNano: 17.5 * USD, models: ['deepseek-v4-flash'],
    rpm: 60, maxConcurrency: 8, validityDays: 90, sortOrder: 3,
  },
  {
    id: 'pro', name: 'Pro', description: 'Both models, including DeepSeek V4 Pro.',
    nameZh: '专业版', descriptionZh: '两个模型都可用，包括 DeepSeek V4 Pro。',
    priceNano: 50 * USD, budgetNano: 45 * USD, models: ['deepseek-v4-flash', 'deepseek-v4-pro'],
    rpm: 30, maxConcurrency: 8, validityDays: 180, sortOrder: 4,
  },
];

// Every text of the buyers' mails, English first; zh has the same keys. {placeholders} are filled
// by the templates, which escape them for the HTML part.

export const en = {
  greeting: 'Hello,',
  signature: '— {site}',
  receipt: {
    subject: '[{site}] Receipt for order {order}: your API key',
    subjectTopup: '[{site}] Receipt for order {order}: your key was topped up',
    lead: 'Thank you for your payment. Here is your receipt and your API key.',
    leadTopup: 'Thank you for your payment. The budget was added to your existing key; the key itself did not change.',
    resent: 'You asked for this copy of your receipt.',
    order: 'Order',
    paypalOrder: 'PayPal order',
    plan: 'Plan',
    amount: 'Amount paid',
    budget: 'Budget',
    budgetTopup: 'Added to your key',
    validity: 'Valid for',
    validityDays: '{days} days',
    validityNone: 'No expiry',
    expires: 'Valid until',
    baseUrl: 'Base URL',
    key: 'API key',
    keyNote:
      'Keep this mail somewhere safe: anyone with this key can spend its budget. If the key leaks, replace it on the order page ({orderPage}) with your order number and this email address; the old key stops working at once.',
    dashboard: 'See your balance and usage: {dashboard}',
  },
  lowBudget: {
    subject: '[{site}] 80 % of your budget is used',
    lead: 'Your key {hint} has used {spent} of its {budget} budget; {remaining} is left.',
  },
  exhausted: {
    subject: '[{site}] Your budget is used up',
    lead: 'Your key {hint} has used {spent} of its {budget} budget. What is left ({remaining}) is too little to count on: requests are refused once a request no longer fits.',
  },
  expiring: {
    subject: '[{site}] Your key expires on {date}',
    lead: 'Your key {hint} expires on {date} (UTC) with {remaining} unspent. After that its requests are refused.',
  },
  topUpHint:
    'To keep using the same key, top it up: open the dashboard ({dashboard}) and choose "Top up this key". The key string stays the same, so no app needs to change.',
  footer: 'You get this mail because this address was given when buying at {site} ({url}).',
} as const;

type Shape<T> = { readonly [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type MailTexts = Shape<typeof en>;

export const zh: MailTexts = {
  greeting: '您好：',
  signature: '— {site}',
  receipt: {
    subject: '[{site}] 订单 {order} 的收据：您的 API 密钥',
    subjectTopup: '[{site}] 订单 {order} 的收据：您的密钥已充值',
    lead: '感谢您的付款。以下是您的收据和 API 密钥。',
    leadTopup: '感谢您的付款。额度已加到您现有的密钥上，密钥本身没有变化。',
    resent: '这是您申请重新发送的收据。',
    order: '订单',
    paypalOrder: 'PayPal 订单',
    plan: '套餐',
    amount: '支付金额',
    budget: '额度',
    budgetTopup: '本次增加的额度',
    validity: '有效期',
    validityDays: '{days} 天',
    validityNone: '永久有效',
    expires: '有效期至',
    baseUrl: 'Base URL',
    key: 'API 密钥',
    keyNote: '请妥善保存这封邮件：任何持有此密钥的人都可以使用其额度。如果密钥泄露，请在订单页面（{orderPage}）用订单号和此邮箱地址更换密钥，旧密钥会立即失效。',
    dashboard: '查看余额和用量：{dashboard}',
  },
  lowBudget: {
    subject: '[{site}] 您的额度已用掉 80%',
    lead: '您的密钥 {hint} 已使用 {spent}（总额度 {budget}），剩余 {remaining}。',
  },
  exhausted: {
    subject: '[{site}] 您的额度已用完',
    lead: '您的密钥 {hint} 已使用 {spent}（总额度 {budget}）。剩余的 {remaining} 已不足以正常使用：当剩余额度容纳不下一次请求时，请求会被拒绝。',
  },
  expiring: {
    subject: '[{site}] 您的密钥将于 {date} 到期',
    lead: '您的密钥 {hint} 将于 {date}（UTC）到期，届时仍有 {remaining} 未使用。到期后请求会被拒绝。',
  },
  topUpHint: '如需继续使用同一个密钥，请为它充值：打开控制台（{dashboard}），选择“为此密钥充值”。密钥字符串保持不变，无需修改任何应用。',
  footer: '您收到这封邮件，是因为在 {site}（{url}）购买时填写了此邮箱地址。',
};

export const MAIL_TEXTS = { en, zh } as const;

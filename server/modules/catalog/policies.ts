// The policy pages an operator starts from, in both languages: Markdown (the subset that
// web/src/lib/markdown.tsx renders), with {site} and {contact} filled in when served. They are
// written for a small reseller of prepaid DeepSeek API budgets; an operator edits them in the
// console (Settings) and should have them checked for their own country.

export const DEFAULT_TERMS = {
  en: `These terms apply to every purchase from {site} and every use of an API key it issues. {site} is an independent reseller of access to DeepSeek's models: it is not DeepSeek and is not affiliated with or endorsed by DeepSeek.

## What you buy

- A plan is a one-time payment for a **budget** in US dollars and a **validity period**. Nothing renews and nothing is charged later.
- Every request is billed against the budget by its tokens, at the token prices shown on the pricing page when the request completes (peak and off-peak prices differ). Your dashboard lists every request and its cost.
- When the budget is used up, or the validity ends, requests are refused with HTTP 402. A top-up adds budget to the same key and extends its validity.
- The budget is prepaid usage, not a deposit: it cannot be withdrawn, transferred or exchanged for cash, except as the refund policy says.

## Your key

- Keep your key secret. Anyone who has it can spend your budget, and requests made with it are billed to it.
- If it leaks, replace it on the order page: the old key stops working at once and the remaining budget stays with the new one.

## Acceptable use

- Follow DeepSeek's usage policies and the law that applies to you. Do not use the service to harm others, to attack systems, or to resell access to this gateway without our agreement.
- We may limit request rates, and we may suspend a key that is used abusively or against these terms. If we suspend a key through no fault of yours, we refund its unspent budget.

## The service

- We relay your requests to DeepSeek and return its answers as they come. We do not promise that the service is always available, that answers are correct, or that a model stays on offer. Token prices follow DeepSeek's published prices; a change applies to requests made after it.
- As far as the law allows, our liability for any claim is limited to what you paid for the plan concerned.

## Changes and contact

We may update these terms; the version on this page when you pay applies to that purchase. Questions: {contact}.
`,
  zh: `本条款适用于在 {site} 的每一笔购买，以及对其签发的 API 密钥的每一次使用。{site} 是 DeepSeek 模型访问的独立经销商，不是 DeepSeek，与 DeepSeek 无隶属关系，亦未获其认可。

## 您购买的是什么

- 套餐是一次性付款，换取以美元计的**额度**和一段**有效期**。不会自动续费，之后也不会再扣款。
- 每次请求按 token 数从额度中扣费，价格以请求完成时定价页上显示的 token 价格为准（高峰与非高峰时段价格不同）。用量面板会列出每一次请求及其费用。
- 额度用完或有效期结束后，请求会被拒绝，返回 HTTP 402。充值会为同一个密钥增加额度并延长有效期。
- 额度是预付的用量，不是存款：除退款政策所述情形外，不能提现、转让或兑换现金。

## 您的密钥

- 请妥善保管密钥。任何拿到它的人都能消耗您的额度，用它发出的请求都计入该密钥。
- 如果密钥泄露，请在订单页更换：旧密钥立即失效，剩余额度保留在新密钥上。

## 合理使用

- 请遵守 DeepSeek 的使用政策以及您所在地的法律。不得利用本服务伤害他人、攻击系统，或未经我们同意转售本网关的访问权限。
- 我们可能限制请求速率，也可能暂停被滥用或违反本条款的密钥。如果密钥并非因您的过错被暂停，我们会退还其未用完的额度。

## 服务说明

- 我们把您的请求转发给 DeepSeek，并原样返回它的回答。我们不保证服务始终可用、回答一定正确，或某个模型会一直提供。token 价格跟随 DeepSeek 公布的价格；价格调整只影响调整之后发出的请求。
- 在法律允许的范围内，我们对任何索赔的责任以您为相关套餐支付的金额为限。

## 条款变更与联系方式

我们可能更新本条款；您付款时本页上的版本适用于该笔购买。如有疑问，请联系 {contact}。
`,
};

export const DEFAULT_PRIVACY = {
  en: `This page says what {site} keeps about you, and why.

## What we keep

- **Your email address and your orders** (plan, amount, PayPal's order and transaction ids, times): to deliver your key, send receipts and budget notices, and let you find your order again.
- **Your API key**, stored encrypted, so that the order page can show it to you again, and a hash of it to recognise your requests.
- **A usage record per request**: time, model, token counts, cost, status and duration, so that you and we can check every charge. The *content* of your prompts and of the answers is not stored: it passes through to DeepSeek and back.
- Technical logs (IP address, path, status) for security and troubleshooting, kept for a short time.

## Who else sees it

- **PayPal** processes the payment; we never see your card or bank details.
- **DeepSeek** receives the content of your requests in order to answer them, under DeepSeek's own privacy policy. Your requests reach DeepSeek under our account, not under your name.
- Nobody else, unless the law requires it.

## Your choices

You can ask us to show, correct or delete what we keep about you (deleting it ends your key). Write to {contact}. We do not sell data and send no newsletters.
`,
  zh: `本页说明 {site} 会保存您的哪些信息，以及原因。

## 我们保存什么

- **您的邮箱地址和订单**（套餐、金额、PayPal 的订单号和交易号、时间）：用于发放密钥、发送收据和额度提醒，以及让您能再次找到订单。
- **您的 API 密钥**：加密保存，以便订单页能再次向您展示；另存其哈希值，用来识别您的请求。
- **每次请求的用量记录**：时间、模型、token 数、费用、状态和耗时，方便您和我们核对每一笔扣费。您的提示词和模型回答的*内容*不会保存：它们只是经由本站转发给 DeepSeek 再返回。
- 用于安全和排错的技术日志（IP 地址、路径、状态），只保存很短的时间。

## 还有谁能看到

- **PayPal** 处理付款；我们看不到您的银行卡或银行账户信息。
- **DeepSeek** 会收到请求内容以便作答，适用 DeepSeek 自己的隐私政策。请求以我们的账户发往 DeepSeek，不会带上您的姓名。
- 除法律要求外，不会提供给其他任何人。

## 您的选择

您可以要求我们展示、更正或删除与您有关的信息（删除后密钥将停止使用）。请联系 {contact}。我们不出售数据，也不发送营销邮件。
`,
};

export const DEFAULT_REFUNDS = {
  en: `Plans are prepaid budgets for API usage, so a refund follows what was used.

- **Unused plan**: if no request was made with the key, you can ask for a full refund within 14 days of paying.
- **Partly used budget**: while the key has not expired, we refund the unspent part of the budget on request, less PayPal's fees. Usage already billed is not refunded.
- **Failures**: a request that failed before it produced any output is not charged in the first place. If you think a charge is wrong, send us the request id from your dashboard and we will look into it.
- **Expired keys**: budget left when a key expires is not refunded, but a top-up of the same key brings it back into use.
- A refund lowers the key's budget by the amount refunded; a full refund disables the key.

To ask for a refund, write to {contact} from the email you paid with, giving your order number (ord_…) or PayPal's transaction id. Refunds go back through PayPal to the account you paid from, usually within a few days.
`,
  zh: `套餐是预付的 API 用量额度，因此退款按实际使用情况处理。

- **未使用的套餐**：如果密钥还没有发出过任何请求，您可以在付款后 14 天内申请全额退款。
- **部分使用的额度**：在密钥未过期时，您可以申请退还未用完的额度，扣除 PayPal 手续费。已计费的用量不予退还。
- **请求失败**：在产生任何输出之前就失败的请求本来就不会计费。如果您认为某笔扣费有误，请把用量面板中的请求 id 发给我们，我们会核查。
- **已过期的密钥**：密钥到期时剩余的额度不予退还，但为同一个密钥充值后可以继续使用。
- 退款会按退款金额减少密钥的额度；全额退款后密钥将被停用。

申请退款，请用付款时的邮箱联系 {contact}，并提供订单号（ord_…）或 PayPal 的交易号。退款会经 PayPal 原路退回您的付款账户，通常需要几天时间。
`,
};

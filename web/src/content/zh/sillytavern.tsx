import type { GuideProps } from '../../components/guide-props';
import { SupportLink } from '../../components/layout';
import { CopyUrl } from '../../components/ui';
import { PAGE_PATHS } from '../../routes';

export default function SillyTavernGuide(p: GuideProps) {
  return (
    <>
      <p class="lead">SillyTavern 通过“Custom (OpenAI-compatible)”聊天补全来源连接 {p.siteName}，一分钟即可设置完成。</p>

      <h2 id="settings">设置</h2>
      <p>
        打开 <strong>API 连接</strong>面板（顶部的插头图标），按下表填写（括号内为英文界面中的名称）：
      </p>
      <div class="table-wrap">
        <table class="settings-table">
          <thead>
            <tr>
              <th scope="col">设置项</th>
              <th scope="col">填写内容</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">API</th>
              <td data-label="填写内容">聊天补全（Chat Completion）</td>
            </tr>
            <tr>
              <th scope="row">聊天补全来源（Chat Completion Source）</th>
              <td data-label="填写内容">Custom (OpenAI-compatible)</td>
            </tr>
            <tr>
              <th scope="row">自定义端点（Custom Endpoint / Base URL）</th>
              <td data-label="填写内容">
                <CopyUrl url={p.base} label="Base URL" />
                <br />
                <span class="muted small">以 /v1 结尾；不要再加 /chat/completions</span>
              </td>
            </tr>
            <tr>
              <th scope="row">自定义 API 密钥（Custom API Key）</th>
              <td data-label="填写内容">
                您的密钥（<code>sk-gateway-…</code>）
              </td>
            </tr>
            <tr>
              <th scope="row">模型 ID（Model ID）</th>
              <td data-label="填写内容">
                <code>{p.model}</code>（也可以连接后从列表中选择）
              </td>
            </tr>
            <tr>
              <th scope="row">流式传输（Streaming）</th>
              <td data-label="填写内容">开启（在“AI 回复配置”面板中）</td>
            </tr>
          </tbody>
        </table>
      </div>

      <h2 id="steps">操作步骤</h2>
      <ol>
        <li>在 API 下选择“聊天补全”，来源选择 Custom (OpenAI-compatible)。</li>
        <li>把接口地址和密钥粘贴到对应的两个输入框中。</li>
        <li>
          点击<strong>连接（Connect）</strong>。状态指示灯变绿，模型列表中会出现您套餐包含的模型。
        </li>
        <li>
          选择 <code>{p.model}</code>，在“AI 回复配置”面板（滑块图标）中开启流式传输，然后开始聊天。
        </li>
      </ol>
      <p>
        如果回复中包含推理内容，SillyTavern 会把它显示为“思考过程”。要获取推理内容，请在<a href={PAGE_PATHS.dashboard}>用量面板</a>中打开“包含模型的推理内容”。无论是否开启，推理都按输出计费。
      </p>

      <h2 id="troubleshooting">常见问题</h2>
      <dl class="trouble">
        <dt>
          <code>401</code> API 密钥不正确 / 未提供 API 密钥
        </dt>
        <dd>
          密钥缺失、不完整或已被更换。请重新粘贴完整的密钥（不要带空格）。如果您在<a href={PAGE_PATHS.order}>查询订单</a>页面更换过泄露的密钥，请使用新密钥。
        </dd>
        <dt>
          <code>402</code> 额度已用完 / 密钥已过期
        </dt>
        <dd>
          套餐额度已用完或已过有效期。<a href={PAGE_PATHS.dashboard}>用量面板</a>会显示具体原因；<a href={PAGE_PATHS.pricing}>购买新套餐</a>即可继续使用。
        </dd>
        <dt>
          <code>403</code> 您的套餐不包含该模型
        </dt>
        <dd>选择套餐内的模型（连接后的模型列表会显示），或购买包含该模型的套餐。</dd>
        <dt>
          <code>429</code> 已达到速率上限
        </dt>
        <dd>
          每分钟请求过多或同时进行的请求过多。对于非流式请求，SillyTavern 遇到 429 会静默重试（最多五次，每次等待更久），因此看起来像卡住了一分钟。请稍等片刻、开启流式传输，并避免使用会同时发出大量请求的扩展。
        </dd>
        <dt>
          <code>500</code>–<code>504</code> 服务暂时不可用
        </dt>
        <dd>上游或网关出现临时故障。等几秒后重新生成即可。只对实际生成的 tokens 计费。若反复出现，请联系 {p.support ? <SupportLink contact={p.support} /> : '客服'}。</dd>
        <dt>状态一直是红色，或没有模型</dt>
        <dd>
          检查接口地址：必须正好是 <code>{p.base}</code>，不要多加路径。您也可以手动输入模型名称。
        </dd>
      </dl>

      <h2 id="other-apps">其他兼容 OpenAI 的应用</h2>
      <p>
        任何带有“OpenAI 兼容”或“自定义 OpenAI”服务商的应用都以相同方式设置：接口地址、密钥、模型。如果应用会自动补上 <code>/v1</code>，请填 <code>{p.origin}</code>；两种写法都可以。
      </p>
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">应用</th>
              <th scope="col">设置位置</th>
              <th scope="col">接口地址</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Chatbox</th>
              <td data-label="设置位置">设置 → 模型提供方 → 添加自定义提供方（OpenAI API 兼容）</td>
              <td data-label="接口地址">
                <CopyUrl url={p.base} label="Chatbox 接口地址" />
              </td>
            </tr>
            <tr>
              <th scope="row">Cherry Studio</th>
              <td data-label="设置位置">设置 → 模型服务 → 添加，类型选 OpenAI</td>
              <td data-label="接口地址">
                <CopyUrl url={p.origin} label="Cherry Studio 接口地址" />
              </td>
            </tr>
            <tr>
              <th scope="row">LobeChat</th>
              <td data-label="设置位置">设置 → 语言模型 → OpenAI → API 代理地址</td>
              <td data-label="接口地址">
                <CopyUrl url={p.base} label="LobeChat 接口地址" />
              </td>
            </tr>
            <tr>
              <th scope="row">Open WebUI</th>
              <td data-label="设置位置">管理员设置 → 外部连接 → OpenAI API</td>
              <td data-label="接口地址">
                <CopyUrl url={p.base} label="Open WebUI 接口地址" />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p>在这些应用中，把您的密钥填为 API 密钥；如果应用没有自动列出模型，请手动添加 <code>{p.model}</code>。</p>
    </>
  );
}

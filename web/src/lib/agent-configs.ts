import type { GuideProps } from '../components/guide-props';

// The configuration and shell text of the agent guides: the same in every language (only the
// prose around it is translated), so each language's guide shows exactly this.

/** Claude Code's base URL: DeepSeek's Anthropic protocol. */
export const anthropicBase = (p: Pick<GuideProps, 'origin'>) => `${p.origin}/anthropic`;

export function claudeCodeShell(p: GuideProps): string {
  const base = anthropicBase(p);
  return `export ANTHROPIC_BASE_URL=${base}
export ANTHROPIC_AUTH_TOKEN=YOUR_API_KEY
export ANTHROPIC_MODEL=${p.model}
export ANTHROPIC_DEFAULT_OPUS_MODEL=${p.model}
export ANTHROPIC_DEFAULT_SONNET_MODEL=${p.model}
export ANTHROPIC_DEFAULT_HAIKU_MODEL=${p.model}
export CLAUDE_CODE_SUBAGENT_MODEL=${p.model}
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
`;
}

export function claudeCodeSettings(p: GuideProps): string {
  const base = anthropicBase(p);
  return `{
  "env": {
    "ANTHROPIC_BASE_URL": "${base}",
    "ANTHROPIC_AUTH_TOKEN": "YOUR_API_KEY",
    "ANTHROPIC_MODEL": "${p.model}",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "${p.model}",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "${p.model}",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "${p.model}",
    "CLAUDE_CODE_SUBAGENT_MODEL": "${p.model}",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"
  }
}
`;
}

export function claudeCodeCheck(): string {
  return `claude -p "Reply with exactly OK" --output-format json\n`;
}

export function codexConfig(p: GuideProps): string {
  return `model = "${p.model}"
model_provider = "tollgate"
show_raw_agent_reasoning = true
web_search = "disabled"

[model_providers.tollgate]
name = "${p.siteName}"
base_url = "${p.base}"
wire_api = "responses"
env_key = "TOLLGATE_API_KEY"
requires_openai_auth = false
`;
}

export function codexKey(): string {
  return `export TOLLGATE_API_KEY=YOUR_API_KEY\n`;
}

export function codexCheck(): string {
  return `codex exec --skip-git-repo-check "Reply with exactly OK"\n`;
}

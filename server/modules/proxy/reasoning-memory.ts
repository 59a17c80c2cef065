// The reasoning of a tool-call turn, kept a short while for the key that received it. DeepSeek V4
// in thinking mode answers 400 when an assistant turn that made tool calls comes back without its
// reasoning, and many frameworks drop the fields they do not know: the gateway puts it back from
// here. In memory, bounded in age, turns and characters (the oldest go first), behind a small
// interface; in the scale-out mode a tool loop's next turn may reach another instance, so the
// record is shared through Redis there (reasoning-memory.redis.ts), this one in front of it.

export interface ReasoningMemory {
  /** Keeps the reasoning of a turn that made these tool calls, for this key only (never waits, never throws). */
  remember(keyId: string, toolCallIds: readonly string[], reasoning: string): void;
  /** The reasoning of each of these tool calls that this key received within the time kept (one look-up for them all). */
  recallAll(keyId: string, toolCallIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

export interface ReasoningMemoryLimits {
  ttlMs: number;
  maxTurns: number;
  /** characters of reasoning kept in all (a JS string holds one or two bytes per character) */
  maxChars: number;
}

/** 30 minutes, 10,000 turns, 8M characters (16 MB at most): a tool loop turns around in seconds to minutes. */
export const REASONING_MEMORY_LIMITS: ReasoningMemoryLimits = { ttlMs: 30 * 60_000, maxTurns: 10_000, maxChars: 8 * 1024 * 1024 };

interface Turn {
  keys: string[];
  reasoning: string;
  expiresAt: number;
}

export type InMemoryReasoningMemory = ReasoningMemory & {
  /** The reasoning of the turn that made this tool call, if this key received it within the time kept. */
  recall(keyId: string, toolCallId: string): string | undefined;
  readonly turns: number;
};

export function createInMemoryReasoningMemory(now: () => number, limits: ReasoningMemoryLimits = REASONING_MEMORY_LIMITS): InMemoryReasoningMemory {
  /** by key id and tool call id */
  const byCall = new Map<string, Turn>();
  /** oldest first (a Set iterates in insertion order) */
  const turns = new Set<Turn>();
  let chars = 0;
  const slot = (keyId: string, toolCallId: string) => `${keyId}\n${toolCallId}`;

  function forget(turn: Turn): void {
    turns.delete(turn);
    chars -= turn.reasoning.length;
    for (const key of turn.keys) if (byCall.get(key) === turn) byCall.delete(key);
  }

  function prune(at: number): void {
    for (const oldest of turns) {
      if (turns.size <= limits.maxTurns && chars <= limits.maxChars && oldest.expiresAt > at) return;
      forget(oldest);
    }
  }

  function recall(keyId: string, toolCallId: string): string | undefined {
    const turn = byCall.get(slot(keyId, toolCallId));
    return turn && turn.expiresAt > now() ? turn.reasoning : undefined;
  }

  return {
    remember(keyId, toolCallIds, reasoning) {
      if (toolCallIds.length === 0 || reasoning === '' || reasoning.length > limits.maxChars) return;
      const at = now();
      const turn: Turn = { keys: toolCallIds.map((id) => slot(keyId, id)), reasoning, expiresAt: at + limits.ttlMs };
      for (const key of turn.keys) {
        const earlier = byCall.get(key);
        if (earlier) forget(earlier);
        byCall.set(key, turn);
      }
      turns.add(turn);
      chars += reasoning.length;
      prune(at);
    },
    recall,
    async recallAll(keyId, toolCallIds) {
      const found = new Map<string, string>();
      for (const id of toolCallIds) {
        const reasoning = recall(keyId, id);
        if (reasoning !== undefined) found.set(id, reasoning);
      }
      return found;
    },
    get turns() {
      return turns.size;
    },
  };
}

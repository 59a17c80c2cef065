import { describe, expect, it } from 'bun:test';
import { fixedClock } from '../../server/lib/clock';
import { createInMemoryReasoningMemory, REASONING_MEMORY_LIMITS } from '../../server/modules/proxy/reasoning-memory';

// The record of tool-call turns' reasoning: per key, short-lived, bounded.

describe('the reasoning record', () => {
  it('gives a turn’s reasoning back under any of its tool call ids, to its own key only', () => {
    const memory = createInMemoryReasoningMemory(fixedClock(0).now);
    memory.remember('key_a', ['call_00_x', 'call_01_y'], 'thought A');
    expect(memory.recall('key_a', 'call_00_x')).toBe('thought A');
    expect(memory.recall('key_a', 'call_01_y')).toBe('thought A');
    expect(memory.recall('key_b', 'call_00_x')).toBeUndefined();
    expect(memory.recall('key_a', 'call_02_z')).toBeUndefined();
  });

  it('forgets a turn once its time is up', () => {
    const clock = fixedClock(1_000_000);
    const memory = createInMemoryReasoningMemory(clock.now);
    memory.remember('k', ['c'], 'r');
    clock.advance(REASONING_MEMORY_LIMITS.ttlMs - 1);
    expect(memory.recall('k', 'c')).toBe('r');
    clock.advance(1);
    expect(memory.recall('k', 'c')).toBeUndefined();
    // and the expired turn leaves with the next write
    memory.remember('k', ['d'], 's');
    expect(memory.turns).toBe(1);
  });

  it('keeps at most maxTurns turns and maxChars characters, dropping the oldest', () => {
    const memory = createInMemoryReasoningMemory(fixedClock(0).now, { ttlMs: 60_000, maxTurns: 3, maxChars: 10 });
    for (const id of ['a', 'b', 'c', 'd']) memory.remember('k', [id], 'xx');
    expect(memory.turns).toBe(3);
    expect(memory.recall('k', 'a')).toBeUndefined();
    expect(memory.recall('k', 'd')).toBe('xx');
    memory.remember('k', ['e'], 'yyyyyyyy');
    // 2 + 2 + 8 > 10: c goes too
    expect(memory.recall('k', 'b')).toBeUndefined();
    expect(memory.recall('k', 'c')).toBeUndefined();
    expect(memory.recall('k', 'd')).toBe('xx');
    expect(memory.recall('k', 'e')).toBe('yyyyyyyy');
    // a reasoning longer than the whole record is not kept at all
    memory.remember('k', ['f'], 'z'.repeat(11));
    expect(memory.recall('k', 'f')).toBeUndefined();
    expect(memory.recall('k', 'e')).toBe('yyyyyyyy');
  });

  it('replaces a turn remembered again under the same id, and keeps nothing for empty input', () => {
    const memory = createInMemoryReasoningMemory(fixedClock(0).now);
    memory.remember('k', ['c'], 'first');
    memory.remember('k', ['c'], 'second');
    expect(memory.recall('k', 'c')).toBe('second');
    expect(memory.turns).toBe(1);
    memory.remember('k', [], 'nothing to file it under');
    memory.remember('k', ['d'], '');
    expect(memory.turns).toBe(1);
  });
});

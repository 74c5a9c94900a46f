/**
 * Tool answers go into a model's context window: each is kept under a character budget (about four
 * characters a token). Long strings are cut first, then long lists, step by step, and the answer
 * says what was cut so that the caller can narrow its question instead of guessing.
 */

/** Default budget of one tool answer, in characters (about 6,000 tokens). */
export const DEFAULT_BUDGET_CHARS = 24_000;

const STRING_LIMITS = [4_000, 1_000, 300, 120] as const;
const LIST_LIMITS = [100, 30, 10, 5, 2] as const;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Fitted {
  value: Record<string, unknown>;
  /** Set when something was cut: what the caller should do to see the rest. */
  truncated: string | null;
}

function shrink(
  value: unknown,
  maxString: number,
  maxList: number,
  cut: { lists: number; strings: number },
): Json {
  if (typeof value === 'string') {
    if (value.length <= maxString) return value;
    cut.strings += 1;
    return `${value.slice(0, maxString)}… [${value.length - maxString} more characters]`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, maxList).map((v) => shrink(v, maxString, maxList, cut));
    if (value.length > maxList) {
      cut.lists += 1;
      kept.push(`… ${value.length - maxList} more items`);
    }
    return kept;
  }
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) out[key] = shrink(v, maxString, maxList, cut);
    }
    return out;
  }
  return null;
}

/** The value as it is when it fits `budget` characters of JSON, else cut down until it does. */
export function fitBudget(value: Record<string, unknown>, budget = DEFAULT_BUDGET_CHARS): Fitted {
  if (JSON.stringify(value).length <= budget) return { value, truncated: null };
  for (const maxList of LIST_LIMITS) {
    for (const maxString of STRING_LIMITS) {
      const cut = { lists: 0, strings: 0 };
      const shrunk = shrink(value, maxString, maxList, cut) as Record<string, unknown>;
      if (JSON.stringify(shrunk).length <= budget) {
        return {
          value: shrunk,
          truncated: `answer cut to fit ${budget} characters (${cut.lists} lists to ${maxList} items, ${cut.strings} texts to ${maxString} characters): narrow the question (filters, a smaller limit) to see everything`,
        };
      }
    }
  }
  const keys = Object.keys(value);
  return {
    value: { keys },
    truncated: `answer too large for ${budget} characters even when cut: ask for less (a smaller limit or a narrower filter)`,
  };
}

import { createHash } from 'node:crypto';

/**
 * Error grouping, as error trackers do it: errors with the same type, category, agent and operation
 * group together when their top stack frames match, or, without a stack, when their messages match
 * once the variable parts (ids, numbers, quoted values, addresses) are masked.
 */

const MASKS: readonly [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/\b[0-9a-f]{16,}\b/gi, '<hex>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>'],
  [/https?:\/\/[^\s'"]+/g, '<url>'],
  [/"[^"]*"|'[^']*'/g, '<str>'],
  [/\b\d+(?:\.\d+)?(?:ms|s|m|h|%|kb|mb|gb)?\b/gi, '<n>'],
  [/\s+/g, ' '],
];

/** The message with its variable parts masked, for grouping. */
export function normalizeMessage(message: string): string {
  let result = message;
  for (const [pattern, replacement] of MASKS) result = result.replace(pattern, replacement);
  return result.trim().slice(0, 500);
}

/**
 * Up to `count` top frames of a V8, Python or Java stack trace, reduced to function and file (no line
 * or column numbers, which change with every edit).
 */
export function topFrames(stackTrace: string, count = 3): string[] {
  const frames: string[] = [];
  for (const raw of stackTrace.split('\n')) {
    const line = raw.trim();
    let frame: string | undefined;
    const v8 = /^at (?:async )?(?:(.+?) \()?(.+?)(?::\d+){0,2}\)?$/.exec(line);
    const python = /^File "(.+?)", line \d+, in (.+)$/.exec(line);
    if (python !== null) frame = `${python[2] ?? ''}@${python[1] ?? ''}`;
    else if (v8 !== null) frame = `${v8[1] ?? '<anonymous>'}@${v8[2] ?? ''}`;
    if (frame !== undefined) frames.push(frame.replace(/:\d+$/, ''));
    if (frames.length === count) break;
  }
  return frames;
}

export interface FingerprintInput {
  error_type: string;
  category: string;
  agent_name: string;
  operation: string | null;
  error_message: string;
  stack_trace: string | null;
}

/** A 16-hex-digit fingerprint of the error's group. */
export function errorFingerprint(error: FingerprintInput): string {
  const frames = error.stack_trace === null ? [] : topFrames(error.stack_trace);
  const discriminator = frames.length > 0 ? frames.join('|') : normalizeMessage(error.error_message);
  return createHash('sha256')
    .update(
      [error.error_type, error.category, error.agent_name, error.operation ?? '', discriminator].join('\n'),
    )
    .digest('hex')
    .slice(0, 16);
}

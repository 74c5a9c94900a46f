import { createHash, randomBytes } from 'node:crypto';

/**
 * The id of an action: the same action on the same target with the same idempotency key is the
 * same action, whoever asks and however often. 32 hex digits.
 */
export function actionId(action: string, target: string, idempotencyKey: string): string {
  return createHash('sha256')
    .update(`${action}\u0000${target}\u0000${idempotencyKey}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * A UUID (version 8, name-based) derived from an action id and a role, so that the message an
 * action produces has the same id however often it is produced: the processors keep one row per
 * message id.
 */
export function derivedUuid(actionIdValue: string, role: string): string {
  const hex = createHash('sha256').update(`${actionIdValue}\u0000${role}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A fresh W3C span id (16 hex digits, not all zero). */
export function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== '0000000000000000') return id;
  }
}

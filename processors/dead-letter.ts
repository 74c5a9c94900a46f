import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { DeadLetterRow } from '../lib/tables/dead-letters.js';
import { DlqHeader } from '../schemas/topics.js';
import type { DeadLetter } from './batch.js';

export { DlqHeader };

/** Why a message is poison: a codec or mapping error code and a human-readable reason. */
export interface PoisonCause {
  code: string;
  reason: string;
  /** Schema id from the wire header, -1 when there was none. */
  schemaId: number;
}

export function deadLetterFor(input: {
  topic: string;
  partition: number;
  message: KafkaJS.KafkaMessage;
  cause: PoisonCause;
  observedAtMs: number;
}): { record: DeadLetter; row: DeadLetterRow } {
  const { topic, partition, message, cause, observedAtMs } = input;
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? (value[value.length - 1] ?? '') : value;
  }
  Object.assign(headers, {
    [DlqHeader.ORIGIN_TOPIC]: topic,
    [DlqHeader.ORIGIN_PARTITION]: String(partition),
    [DlqHeader.ORIGIN_OFFSET]: message.offset,
    [DlqHeader.ORIGIN_TIMESTAMP]: message.timestamp,
    [DlqHeader.ERROR_CODE]: cause.code,
    [DlqHeader.ERROR_REASON]: cause.reason.slice(0, 1000),
    [DlqHeader.SCHEMA_ID]: String(cause.schemaId),
    [DlqHeader.OBSERVED_AT]: String(observedAtMs),
  });
  return {
    record: { key: message.key, value: message.value, headers },
    row: {
      topic,
      partition,
      offset: Number(message.offset),
      error_code: cause.code,
      reason: cause.reason.slice(0, 1000),
      schema_id: cause.schemaId,
      size_bytes: message.value?.length ?? 0,
      observed_at_ms: observedAtMs,
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { CodecError } from '../schemas/codec-errors.js';
import { type DecodedAny, RecordKind, type SchemaCodec } from '../schemas/codec.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import { recordReferenceTime } from '../schemas/times.js';
import { ErrorCode, TelemetryError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Taken } from './batch.js';
import { deadLetterFor, type PoisonCause } from './dead-letter.js';
import { InvalidRecordError, mapAgentMessage, mapDetailedError } from './mappers.js';
import type { ProcessorMetrics } from './metrics.js';
import { PoisonGuard } from './poison-guard.js';

/**
 * What became of one message: its rows or dead letter (`taken`), nothing because the runner stopped
 * while the registry was away (`stopped`), or nothing because the poison ratio was exceeded (`fatal`).
 */
export type TakeOutcome = Taken | { kind: 'stopped' } | { kind: 'fatal'; error: TelemetryError };

const STOPPED = { kind: 'stopped' } as const;

export interface IntakeOptions {
  codec: SchemaCodec;
  logger: Logger;
  metrics: ProcessorMetrics;
  poison: { window: number; maxRatio: number; minMessages: number };
  now: () => number;
  backoff: (attempt: number) => number;
  /** Aborted when the runner stops: ends a wait for the registry. */
  stopSignal: AbortSignal;
  isRunning: () => boolean;
}

/**
 * The runner's intake: decodes one message and returns its rows, or its dead letter with its origin;
 * counts poison against the configured ratio. Kafka-free apart from the message shape; the runner
 * puts what it returns into the batch in hand.
 */
export class Intake {
  readonly #o: IntakeOptions;
  readonly #log: Logger;
  readonly #poison: PoisonGuard;

  constructor(options: IntakeOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#poison = new PoisonGuard(options.poison);
  }

  /**
   * Decodes and maps one message, or dead-letters it. Synchronous when the
   * writer schema is cached (nearly always), so the per-message path costs no promise; a Promise
   * only when the registry must be asked.
   */
  take(topic: string, partition: number, message: KafkaJS.KafkaMessage): TakeOutcome | Promise<TakeOutcome> {
    const value = message.value;
    if (value === null || value.length === 0) {
      return this.#deadLetter(topic, partition, message, {
        code: 'EMPTY_VALUE',
        reason: 'message has no value (tombstone or empty)',
        schemaId: -1,
      });
    }
    let decoded: DecodedAny | undefined;
    try {
      decoded = this.#o.codec.tryDecodeCached(value);
    } catch (error) {
      return this.#rejected(topic, partition, message, value, error);
    }
    if (decoded !== undefined) return this.#accept(topic, partition, message, value, decoded);
    return this.#takeUncached(topic, partition, message, value);
  }

  async #takeUncached(
    topic: string,
    partition: number,
    message: KafkaJS.KafkaMessage,
    value: Buffer,
  ): Promise<TakeOutcome> {
    let decoded: DecodedAny | undefined;
    try {
      decoded = await this.#decodeRetrying(value, topic);
    } catch (error) {
      return this.#rejected(topic, partition, message, value, error);
    }
    if (decoded === undefined) return STOPPED;
    return this.#accept(topic, partition, message, value, decoded);
  }

  /** Maps a decoded record into its rows. */
  #accept(
    topic: string,
    partition: number,
    message: KafkaJS.KafkaMessage,
    value: Buffer,
    decoded: DecodedAny,
  ): TakeOutcome {
    const expected = topic === ERRORS_TOPIC ? RecordKind.DETAILED_ERROR : RecordKind.AGENT_MESSAGE;
    const offset = Number(message.offset);
    try {
      if (decoded.kind !== expected) {
        throw new CodecError('UNEXPECTED_RECORD', `expected ${expected} on ${topic}, got ${decoded.kind}`, {
          schemaId: decoded.schemaId,
        });
      }
      const observedAtMs = this.#o.now();
      const recorded = Number(message.timestamp);
      const source = {
        topic,
        partition,
        offset,
        schemaId: decoded.schemaId,
        observedAtMs,
        recordedAtMs: recordReferenceTime(recorded, observedAtMs),
      };
      const rows =
        decoded.kind === RecordKind.AGENT_MESSAGE
          ? mapAgentMessage(decoded.value, source)
          : mapDetailedError(decoded.value, source);
      return this.#poison.record(false) ? this.#poisonRatioExceeded() : { kind: 'rows', rows };
    } catch (error) {
      return this.#rejected(topic, partition, message, value, error);
    }
  }

  /** Dead-letters a message that cannot be decoded or mapped; rethrows anything else. */
  #rejected(
    topic: string,
    partition: number,
    message: KafkaJS.KafkaMessage,
    value: Buffer,
    error: unknown,
  ): TakeOutcome {
    if (error instanceof CodecError) {
      return this.#deadLetter(topic, partition, message, {
        code: error.code,
        reason: error.message,
        schemaId: error.schemaId ?? -1,
      });
    }
    if (error instanceof InvalidRecordError) {
      return this.#deadLetter(topic, partition, message, {
        code: error.code,
        reason: error.message,
        schemaId: value.length >= 5 ? value.readInt32BE(1) : -1,
      });
    }
    throw error;
  }

  #deadLetter(
    topic: string,
    partition: number,
    message: KafkaJS.KafkaMessage,
    cause: PoisonCause,
  ): TakeOutcome {
    const letter = deadLetterFor({ topic, partition, message, cause, observedAtMs: this.#o.now() });
    this.#o.metrics.deadLettered.inc({ code: cause.code });
    this.#log.warn(
      { topic, partition, offset: message.offset, code: cause.code, reason: cause.reason },
      'message dead-lettered',
    );
    return this.#poison.record(true)
      ? this.#poisonRatioExceeded()
      : { kind: 'dead-letter', record: letter.record, row: letter.row };
  }

  #poisonRatioExceeded(): TakeOutcome {
    const { window, maxRatio } = this.#o.poison;
    return {
      kind: 'fatal',
      error: new TelemetryError(
        ErrorCode.POISON_RATIO_EXCEEDED,
        `more than ${Math.round(maxRatio * 100)}% of the last ${Math.min(window, this.#poison.seen)} messages were undecodable ` +
          `(${Math.round(this.#poison.ratio() * 100)}%): stopping instead of dead-lettering everything. ` +
          'Check that producers use the schema registry this processor uses, then restart.',
      ),
    };
  }

  /**
   * Decodes a value whose schema id is not cached yet, waiting out a registry outage with backoff
   * (no message after it is taken meanwhile). Undefined when the runner stops while waiting.
   */
  async #decodeRetrying(value: Buffer, topic: string): Promise<DecodedAny | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#o.codec.decodeAny(value);
      } catch (error) {
        if (!(error instanceof CodecError && error.retryable)) throw error;
        const delay = this.#o.backoff(attempt);
        this.#log.warn(
          { err: error, topic, attempt, delayMs: delay },
          'schema registry unavailable; waiting',
        );
        try {
          await sleep(delay, undefined, { signal: this.#o.stopSignal });
        } catch {
          return undefined;
        }
        if (!this.#o.isRunning()) return undefined;
      }
    }
  }
}

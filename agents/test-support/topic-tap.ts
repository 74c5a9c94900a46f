import { randomUUID } from 'node:crypto';
import type { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from '../../lib/config.js';
import { createKafka, type Consumer } from '../../lib/kafka.js';
import type { Logger } from '../../lib/logger.js';
import { createCodec } from '../../lib/registry.js';
import { startGroupsAtEnd } from '../../lib/test-support/helpers.js';
import type { SchemaCodec } from '../../schemas/codec.js';
import type { AgentMessage, DetailedError } from '../../schemas/records.js';

/** A decoded record seen on a topic, or the raw bytes when they do not decode. */
export type Tapped =
  | { topic: string; kind: 'AgentMessage'; value: AgentMessage; headers: Record<string, string> }
  | { topic: string; kind: 'DetailedError'; value: DetailedError; headers: Record<string, string> }
  | { topic: string; kind: 'raw'; value: Buffer; headers: Record<string, string> };

/**
 * Integration-test helper: reads topics in a consumer group of its own and keeps what it decodes (at
 * most 50,000 records). `fromBeginning: false` starts at the end, for shared topics such as the errors
 * topic; `start()` returns once partitions are assigned so nothing produced afterwards is missed.
 */
export class TopicTap {
  readonly records: Tapped[] = [];
  readonly #consumer: Consumer;
  readonly #codec: SchemaCodec;
  readonly #topics: readonly string[];
  readonly #groupId = `it-tap-${randomUUID().slice(0, 8)}`;
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #fromBeginning: boolean;

  readonly #keep: (record: Tapped) => boolean;

  /** `keep` filters at intake, so the bound is spent on this test's records only (shared topics are busy). */
  constructor(
    config: Config,
    logger: Logger,
    topics: readonly string[],
    fromBeginning: boolean,
    keep: (record: Tapped) => boolean = () => true,
  ) {
    this.#keep = keep;
    this.#fromBeginning = fromBeginning;
    this.#config = config;
    this.#logger = logger;
    this.#topics = topics;
    this.#codec = createCodec(config);
    this.#consumer = createKafka(config, logger, 'it-tap').consumer({
      kafkaJS: { groupId: this.#groupId, fromBeginning, autoCommit: true },
      'fetch.wait.max.ms': 50,
    });
  }

  async start(): Promise<this> {
    // "the end" is committed for the new group before it joins: a reset to latest would happen only at
    // each partition's first fetch, which can come after the records a test produces right after start()
    if (!this.#fromBeginning) await startGroupsAtEnd(this.#config, [this.#groupId], this.#topics);
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#topics] });
    await this.#consumer.run({ eachMessage: (payload) => this.#take(payload) });
    const deadline = Date.now() + 30_000;
    while (this.#consumer.assignment().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this;
  }

  async #take({ topic, message }: KafkaJS.EachMessagePayload): Promise<void> {
    if (message.value === null || this.records.length >= 50_000) return;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(message.headers ?? {})) {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') headers[key] = first;
      else if (Buffer.isBuffer(first)) headers[key] = first.toString('utf8');
    }
    let record: Tapped;
    try {
      const decoded = await this.#codec.decodeAny(message.value);
      record =
        decoded.kind === 'AgentMessage'
          ? { topic, kind: 'AgentMessage', value: decoded.value, headers }
          : { topic, kind: 'DetailedError', value: decoded.value, headers };
    } catch {
      record = { topic, kind: 'raw', value: message.value, headers };
    }
    if (this.#keep(record)) this.records.push(record);
  }

  messages(filter: (m: AgentMessage) => boolean = () => true): AgentMessage[] {
    return this.records.flatMap((r) => (r.kind === 'AgentMessage' && filter(r.value) ? [r.value] : []));
  }

  errors(filter: (e: DetailedError) => boolean = () => true): DetailedError[] {
    return this.records.flatMap((r) => (r.kind === 'DetailedError' && filter(r.value) ? [r.value] : []));
  }

  /** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
  async waitFor(check: () => boolean, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  async close(): Promise<void> {
    await this.#consumer.disconnect().catch(() => undefined);
    const admin = createKafka(this.#config, this.#logger, 'it-tap-admin').admin();
    await admin.connect();
    await admin.deleteGroups([this.#groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

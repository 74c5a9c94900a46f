import { setTimeout as sleep } from 'node:timers/promises';
import avro from 'avsc';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { CodecError, CodecErrorCode } from './codec-errors.js';
import type { AgentMessage, DetailedError } from './records.js';
import { loadSchemaText } from './schema-files.js';

/**
 * Avro codec over the Confluent wire format: byte 0 is the magic byte 0, bytes 1–4 the schema id
 * (big-endian), the rest the Avro binary body.
 *
 * Subjects follow the record-name strategy: one subject per record type, named by the record's
 * full name (`dev.agenttelemetry.AgentMessage`, `dev.agenttelemetry.DetailedError`), whatever the
 * topic. A queue for a new agent therefore needs no registration. Subjects are set to BACKWARD
 * compatibility before the first registration.
 *
 * Registration, schema lookup by id (with its cache and single-flight fetch) and encoding go through
 * `@kafkajs/confluent-schema-registry`. Decoding frames the bytes here: the library's decode builds
 * a new reader type and resolver on every call when a reader schema is given, so this codec keeps one
 * resolver per writer schema id instead and reports each kind of bad input with its own code.
 */

export const RecordKind = {
  AGENT_MESSAGE: 'AgentMessage',
  DETAILED_ERROR: 'DetailedError',
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface RecordValues {
  AgentMessage: AgentMessage;
  DetailedError: DetailedError;
}

/** A record type the codec reads and writes: its reader/writer schema and its subject. */
export interface RecordSpec {
  kind: RecordKind;
  /** Avro schema JSON text. */
  schemaText: string;
  /** Registry subject; defaults to the record's full name. */
  subject?: string;
}

export interface Decoded<K extends RecordKind> {
  kind: K;
  value: RecordValues[K];
  schemaId: number;
}

export type DecodedAny = { [K in RecordKind]: Decoded<K> }[RecordKind];

export interface SchemaCodecOptions {
  registry: SchemaRegistry;
  /** Base URL of the Confluent-compatible API, used to set subject compatibility. */
  registryUrl: string;
  /** Defaults to the project's two records as found in `schemas/avro`. */
  records?: readonly RecordSpec[];
  /** Compatibility level set on each subject before its first registration. Default `BACKWARD`. */
  compatibility?: 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
  /** How long one schema lookup by id may wait for the registry. Default 10 s. */
  lookupTimeoutMs?: number;
}

interface PreparedRecord {
  kind: RecordKind;
  subject: string;
  schemaText: string;
  type: avro.Type;
  fullName: string;
  /** Set once registered. */
  schemaId: number | undefined;
  /** The registration in flight, shared by concurrent callers. */
  registering: Promise<number> | undefined;
}

/** How bytes written with one schema id are read. `resolver` is undefined when writer equals reader. */
interface ReadPlan {
  record: PreparedRecord;
  resolver: avro.Resolver | undefined;
}

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function recordFullName(type: avro.Type): string {
  const name = type.name;
  if (name === undefined || type.typeName !== 'record') {
    throw new Error('A record schema with a name is required');
  }
  return name;
}

export function defaultRecordSpecs(): RecordSpec[] {
  return [
    { kind: RecordKind.AGENT_MESSAGE, schemaText: loadSchemaText('agent-message.avsc') },
    { kind: RecordKind.DETAILED_ERROR, schemaText: loadSchemaText('detailed-error.avsc') },
  ];
}

/** Reads the schema id from a Confluent wire-format buffer, or throws `NO_MAGIC_BYTE`. */
export function readSchemaId(buffer: Buffer): number {
  if (buffer.length < WIRE_HEADER_BYTES || buffer[0] !== MAGIC_BYTE) {
    throw new CodecError(
      CodecErrorCode.NO_MAGIC_BYTE,
      buffer.length < WIRE_HEADER_BYTES
        ? `expected at least ${WIRE_HEADER_BYTES} bytes of Confluent wire format, got ${buffer.length}`
        : `expected magic byte 0, got ${buffer[0] ?? 'none'}`,
    );
  }
  return buffer.readInt32BE(1);
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    return error.status;
  }
  return undefined;
}

/**
 * Classifies a failure of the registry client. The client reports transport failures (refused
 * connection, reset) as status 400 with no registry error body, so only statuses the registry itself
 * uses for a definite answer are treated as final.
 */
/** Registration attempts, and how long one may wait for the registry before it counts as unanswered. */
const REGISTER_ATTEMPTS = 6;
const REGISTER_ATTEMPT_TIMEOUT_MS = 15_000;
/** One schema lookup by id may wait this long for the registry before it counts as unavailable. */
const LOOKUP_TIMEOUT_MS = 10_000;
/** Lookups of an id the registry does not know (200, 400, 800, 1600 ms apart) before it is unknown. */
const UNKNOWN_ID_ATTEMPTS = 5;
const UNKNOWN_ID_MEMORY_MS = 60_000;

class RegistryTimeoutError extends Error {
  override readonly name = 'RegistryTimeoutError';
}

/** The promise, or a RegistryTimeoutError once `ms` pass first (the request itself is left to finish). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RegistryTimeoutError(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

function registryFailure(error: unknown, what: string, schemaId?: number): CodecError {
  const status = httpStatusOf(error);
  const options = schemaId === undefined ? { cause: error } : { cause: error, schemaId };
  if (status === 404) {
    return new CodecError(
      CodecErrorCode.UNKNOWN_SCHEMA_ID,
      `${what}: not found in the schema registry`,
      options,
    );
  }
  if (status === 401 || status === 403 || status === 409 || status === 422) {
    return new CodecError(
      CodecErrorCode.REGISTRY_REQUEST_FAILED,
      `${what}: registry answered ${status}`,
      options,
    );
  }
  return new CodecError(
    CodecErrorCode.REGISTRY_UNAVAILABLE,
    `${what}: schema registry unavailable${status === undefined ? '' : ` (status ${status})`}`,
    options,
  );
}

export class SchemaCodec {
  readonly #registry: SchemaRegistry;
  readonly #registryUrl: string;
  readonly #compatibility: NonNullable<SchemaCodecOptions['compatibility']>;
  readonly #lookupTimeoutMs: number;
  readonly #records = new Map<RecordKind, PreparedRecord>();
  readonly #byFullName = new Map<string, PreparedRecord>();
  readonly #plans = new Map<number, ReadPlan>();
  readonly #pendingPlans = new Map<number, Promise<ReadPlan>>();
  /** Ids the registry did not know, until when that answer is trusted. */
  readonly #unknownIds = new Map<number, number>();

  constructor(options: SchemaCodecOptions) {
    this.#registry = options.registry;
    this.#registryUrl = options.registryUrl.replace(/\/+$/, '');
    this.#compatibility = options.compatibility ?? 'BACKWARD';
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS;
    for (const spec of options.records ?? defaultRecordSpecs()) {
      const type = avro.Type.forSchema(JSON.parse(spec.schemaText) as avro.Schema);
      const fullName = recordFullName(type);
      const record: PreparedRecord = {
        kind: spec.kind,
        subject: spec.subject ?? fullName,
        schemaText: spec.schemaText,
        type,
        fullName,
        schemaId: undefined,
        registering: undefined,
      };
      this.#records.set(spec.kind, record);
      this.#byFullName.set(fullName, record);
    }
  }

  /** The subject each record kind is registered under. */
  subjects(): Record<string, string> {
    return Object.fromEntries([...this.#records.values()].map((r) => [r.kind, r.subject]));
  }

  /**
   * Sets subject compatibility and registers every record schema (idempotent: registering the same
   * schema again returns its existing id). Returns the schema id per kind.
   */
  async registerAll(): Promise<Partial<Record<RecordKind, number>>> {
    const ids: Partial<Record<RecordKind, number>> = {};
    for (const record of this.#records.values()) {
      ids[record.kind] = await this.#register(record);
    }
    return ids;
  }

  #register(record: PreparedRecord): Promise<number> {
    if (record.schemaId !== undefined) return Promise.resolve(record.schemaId);
    record.registering ??= this.#registerOnce(record).finally(() => {
      record.registering = undefined;
    });
    return record.registering;
  }

  /**
   * Registration is idempotent, so a registry that does not answer (a KafkaSQL registry can stall while
   * its journal consumer rejoins) is asked again: each attempt is bounded, and retryable failures are
   * retried with backoff before the last one is thrown.
   */
  async #registerOnce(record: PreparedRecord): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#registerAttempt(record);
      } catch (error) {
        if (!(error instanceof CodecError && error.retryable) || attempt >= REGISTER_ATTEMPTS) throw error;
        await sleep(Math.min(5_000, 250 * 2 ** attempt));
      }
    }
  }

  async #registerAttempt(record: PreparedRecord): Promise<number> {
    await this.#setCompatibility(record.subject);
    let id: number;
    try {
      ({ id } = await withTimeout(
        this.#registry.register(
          { type: 'AVRO' as never, schema: record.schemaText },
          { subject: record.subject, compatibility: this.#compatibility as never },
        ),
        REGISTER_ATTEMPT_TIMEOUT_MS,
      ));
    } catch (error) {
      throw registryFailure(error, `registering ${record.subject}`);
    }
    record.schemaId = id;
    this.#plans.set(id, { record, resolver: undefined });
    return id;
  }

  async #setCompatibility(subject: string): Promise<void> {
    const url = `${this.#registryUrl}/config/${encodeURIComponent(subject)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.timeout(REGISTER_ATTEMPT_TIMEOUT_MS),
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: this.#compatibility }),
      });
      // Apicurio answers 409 when the subject already has a compatibility rule: check that it is ours
      if (response.status === 409) {
        const current = await fetch(url, { signal: AbortSignal.timeout(REGISTER_ATTEMPT_TIMEOUT_MS) });
        if (current.ok) {
          const body = (await current.json()) as { compatibilityLevel?: string; compatibility?: string };
          const level = body.compatibilityLevel ?? body.compatibility;
          if (level === this.#compatibility) return;
          throw new CodecError(
            CodecErrorCode.REGISTRY_REQUEST_FAILED,
            `subject ${subject} has compatibility ${String(level)}, expected ${this.#compatibility}`,
          );
        }
      }
    } catch (error) {
      if (error instanceof CodecError) throw error;
      throw new CodecError(
        CodecErrorCode.REGISTRY_UNAVAILABLE,
        `setting compatibility of ${subject}: ${url} unreachable`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) {
      throw registryFailure({ status: response.status }, `setting compatibility of ${subject}`);
    }
  }

  /** Encodes a value of `kind` with its registered schema; registers it on first use. */
  async encode<K extends RecordKind>(kind: K, value: RecordValues[K]): Promise<Buffer> {
    const record = this.#record(kind);
    const id = await this.#register(record);
    if (!record.type.isValid(value)) {
      const paths: string[] = [];
      record.type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new CodecError(
        CodecErrorCode.INVALID_VALUE,
        `invalid ${kind}: bad field(s) ${paths.join(', ')}`,
        {
          schemaId: id,
        },
      );
    }
    try {
      return await this.#registry.encode(id, value);
    } catch (error) {
      throw registryFailure(error, `encoding ${kind}`, id);
    }
  }

  /** Decodes bytes that must hold a record of `kind`. */
  async decode<K extends RecordKind>(kind: K, buffer: Buffer): Promise<Decoded<K>> {
    const decoded = await this.decodeAny(buffer);
    if (decoded.kind !== kind) {
      throw new CodecError(
        CodecErrorCode.UNEXPECTED_RECORD,
        `expected a ${kind} record, got ${decoded.kind} (schema id ${decoded.schemaId})`,
        { schemaId: decoded.schemaId },
      );
    }
    return decoded as Decoded<K>;
  }

  /** Decodes bytes holding any of the codec's record kinds. */
  async decodeAny(buffer: Buffer): Promise<DecodedAny> {
    const schemaId = readSchemaId(buffer);
    const plan = this.#plans.get(schemaId) ?? (await this.#loadPlan(schemaId));
    return this.#decodeWith(plan, schemaId, buffer);
  }

  /**
   * Synchronous decode for schema ids already seen; `undefined` when the id needs a registry lookup
   * first (then call {@link decodeAny}). Keeps the hot path free of promises.
   */
  tryDecodeCached(buffer: Buffer): DecodedAny | undefined {
    const schemaId = readSchemaId(buffer);
    const plan = this.#plans.get(schemaId);
    return plan === undefined ? undefined : this.#decodeWith(plan, schemaId, buffer);
  }

  #decodeWith(plan: ReadPlan, schemaId: number, buffer: Buffer): DecodedAny {
    let result: { value: unknown; offset: number };
    try {
      result = plan.record.type.decode(buffer, WIRE_HEADER_BYTES, plan.resolver);
    } catch (error) {
      throw new CodecError(
        CodecErrorCode.INVALID_AVRO,
        `malformed ${plan.record.kind} body (schema id ${schemaId})`,
        {
          cause: error,
          schemaId,
        },
      );
    }
    if (result.offset < 0) {
      throw new CodecError(
        CodecErrorCode.TRUNCATED,
        `${plan.record.kind} body truncated: ${buffer.length - WIRE_HEADER_BYTES} bytes are not a whole record (schema id ${schemaId})`,
        { schemaId },
      );
    }
    if (result.offset !== buffer.length) {
      throw new CodecError(
        CodecErrorCode.INVALID_AVRO,
        `${buffer.length - result.offset} unexpected trailing bytes after a ${plan.record.kind} record (schema id ${schemaId})`,
        { schemaId },
      );
    }
    return { kind: plan.record.kind, value: result.value, schemaId } as DecodedAny;
  }

  #loadPlan(schemaId: number): Promise<ReadPlan> {
    const pending = this.#pendingPlans.get(schemaId);
    if (pending !== undefined) return pending;
    const loading = this.#fetchPlan(schemaId).finally(() => this.#pendingPlans.delete(schemaId));
    this.#pendingPlans.set(schemaId, loading);
    return loading;
  }

  /**
   * The writer schema of `schemaId`. Each lookup is bounded (a stalled registry is unavailable, which
   * the caller waits out); a 404 is asked again a few times over about 3 s, because a registry
   * replica can answer before it has caught up with a schema just registered elsewhere, and only
   * then is the id unknown (its messages are dead-lettered). An id found unknown stays so for a
   * minute, so a run of its messages costs one wait.
   */
  async #lookup(schemaId: number): Promise<avro.Type> {
    if ((this.#unknownIds.get(schemaId) ?? 0) > Date.now()) {
      throw new CodecError(
        CodecErrorCode.UNKNOWN_SCHEMA_ID,
        `schema id ${schemaId}: not found in the schema registry`,
        {
          schemaId,
        },
      );
    }
    for (let attempt = 1; ; attempt++) {
      let failure: CodecError;
      try {
        return (await withTimeout(
          this.#registry.getSchema(schemaId),
          this.#lookupTimeoutMs,
        )) as unknown as avro.Type;
      } catch (error) {
        failure = registryFailure(error, `schema id ${schemaId}`, schemaId);
      }
      if (failure.code !== CodecErrorCode.UNKNOWN_SCHEMA_ID) throw failure;
      if (attempt >= UNKNOWN_ID_ATTEMPTS) {
        // bounded: a flood of made-up ids forgets the oldest
        if (this.#unknownIds.size >= 10_000) this.#unknownIds.clear();
        this.#unknownIds.set(schemaId, Date.now() + UNKNOWN_ID_MEMORY_MS);
        throw failure;
      }
      await sleep(200 * 2 ** (attempt - 1));
    }
  }

  async #fetchPlan(schemaId: number): Promise<ReadPlan> {
    const writer = await this.#lookup(schemaId);
    if (writer.typeName !== 'record' || writer.name === undefined) {
      throw new CodecError(CodecErrorCode.UNEXPECTED_RECORD, `schema id ${schemaId} is not an Avro record`, {
        schemaId,
      });
    }
    const record = this.#readerFor(writer.name);
    if (record === undefined) {
      throw new CodecError(
        CodecErrorCode.UNEXPECTED_RECORD,
        `schema id ${schemaId} is a ${writer.name} record, not one of ${[...this.#byFullName.keys()].join(', ')}`,
        { schemaId },
      );
    }
    let resolver: avro.Resolver | undefined;
    if (!writer.equals(record.type)) {
      try {
        // named types match by their unqualified names, as the Avro specification resolves them
        resolver = record.type.createResolver(writer, { ignoreNamespaces: true });
      } catch (error) {
        throw new CodecError(
          CodecErrorCode.UNEXPECTED_RECORD,
          `schema id ${schemaId} (${writer.name}) cannot be read with this reader schema`,
          { cause: error, schemaId },
        );
      }
    }
    const plan = { record, resolver };
    this.#plans.set(schemaId, plan);
    return plan;
  }

  /**
   * The reader record for a writer record named `name`. The Avro specification resolves records by
   * their unqualified names (as the Java implementation does), so a producer that wrote its own
   * copy of a schema under another namespace, or none (a Python or Go producer often does), is read
   * like ours: first by full name, then by the unqualified name or a reader alias, when exactly one
   * reader record has it.
   */
  #readerFor(name: string): PreparedRecord | undefined {
    const exact = this.#byFullName.get(name);
    if (exact !== undefined) return exact;
    const wanted = unqualified(name);
    const matches = [...this.#records.values()].filter((record) =>
      [record.fullName, ...(record.type.aliases ?? [])].some((alias) => unqualified(alias) === wanted),
    );
    return matches.length === 1 ? matches[0] : undefined;
  }

  #record(kind: RecordKind): PreparedRecord {
    const record = this.#records.get(kind);
    if (record === undefined) throw new Error(`codec has no ${kind} schema`);
    return record;
  }
}

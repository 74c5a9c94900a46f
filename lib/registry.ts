import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaCodec } from '../schemas/codec.js';
import type { Config } from './config.js';

/** The schema registry client (Confluent-compatible API, for example Apicurio's `/apis/ccompat/v7`). */
export function createSchemaRegistry(config: Config): SchemaRegistry {
  return new SchemaRegistry({
    host: config.registry.url,
    clientId: config.kafka.clientId,
    retry: { retries: 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
  });
}

/** The Avro codec for the project's records over the configured registry. */
export function createCodec(
  config: Config,
  registry: SchemaRegistry = createSchemaRegistry(config),
): SchemaCodec {
  return new SchemaCodec({ registry, registryUrl: config.registry.url });
}

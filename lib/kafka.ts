import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { Config } from './config.js';
import { ErrorCode, TelemetryError } from './errors.js';
import type { Logger } from './logger.js';

export type Kafka = KafkaJS.Kafka;
export type Admin = KafkaJS.Admin;
export type Producer = KafkaJS.Producer;
export type Consumer = KafkaJS.Consumer;

export const KafkaErrorCodes = KafkaJS.ErrorCodes;

/** Maps librdkafka's log levels onto the project logger, so client logs are structured too. */
function kafkaLogger(logger: Logger): KafkaJS.Logger {
  const child = logger.child({ client: 'librdkafka' });
  const adapter: KafkaJS.Logger = {
    info: (message, extra) => {
      child.info(extra ?? {}, message);
    },
    error: (message, extra) => {
      child.error(extra ?? {}, message);
    },
    warn: (message, extra) => {
      child.warn(extra ?? {}, message);
    },
    debug: (message, extra) => {
      child.debug(extra ?? {}, message);
    },
    namespace: () => adapter,
    setLogLevel: () => undefined,
  };
  return adapter;
}

/**
 * One Kafka client factory per process; producers, consumers and admins are created from it by the
 * component that owns them. Nothing connects until the owner calls `connect()`.
 */
export function createKafka(config: Config, logger: Logger, clientIdSuffix?: string): Kafka {
  return new KafkaJS.Kafka({
    kafkaJS: {
      brokers: config.kafka.brokers,
      clientId:
        clientIdSuffix === undefined ? config.kafka.clientId : `${config.kafka.clientId}-${clientIdSuffix}`,
      logger: kafkaLogger(logger),
      logLevel: KafkaJS.logLevel.WARN,
    },
  });
}

/** Whether an error is a client error with a librdkafka code. */
export function isKafkaError(error: unknown): error is KafkaJS.KafkaJSError {
  return error instanceof KafkaJS.KafkaJSError;
}

/** Classifies a Kafka client error by its librdkafka code and `retriable` flag. */
export function toKafkaTelemetryError(error: unknown, what: string): TelemetryError {
  if (error instanceof TelemetryError) return error;
  if (isKafkaError(error)) {
    const transient =
      error.retriable ||
      error.code === KafkaErrorCodes.ERR__TRANSPORT ||
      error.code === KafkaErrorCodes.ERR__ALL_BROKERS_DOWN ||
      error.code === KafkaErrorCodes.ERR__TIMED_OUT;
    return new TelemetryError(
      transient ? ErrorCode.KAFKA_UNAVAILABLE : ErrorCode.KAFKA_REQUEST_FAILED,
      `${what}: ${error.message}`,
      { cause: error, details: { kafkaCode: error.code } },
    );
  }
  return new TelemetryError(
    ErrorCode.INTERNAL,
    `${what}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}

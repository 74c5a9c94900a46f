import type { ClickHouseReader } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import type { KafkaView } from '../kafka-view.js';
import { AgentsReadModel } from './agents.js';
import { ReadCache } from './cache.js';
import { ErrorsReadModel } from './errors.js';
import { MessagesReadModel } from './messages.js';
import { QueuesReadModel } from './queues.js';
import { TasksReadModel } from './tasks.js';
import { TracesReadModel } from './traces.js';

/** The one layer both GraphQL and REST resolve through, so that they cannot disagree. */
export interface ReadModels {
  messages: MessagesReadModel;
  errors: ErrorsReadModel;
  tasks: TasksReadModel;
  queues: QueuesReadModel;
  traces: TracesReadModel;
  agents: AgentsReadModel;
}

export function createReadModels(options: {
  reader: ClickHouseReader;
  kafka: KafkaView;
  config: Config;
  logger: Logger;
  now: () => number;
  /** Shared by the read models; by default one of `config.api.cacheTtlMs`. */
  cache?: ReadCache;
}): ReadModels {
  const { reader, now } = options;
  const cache = options.cache ?? new ReadCache({ ttlMs: options.config.api.cacheTtlMs });
  const messages = new MessagesReadModel(reader, cache, now);
  const errors = new ErrorsReadModel(reader, now, cache);
  const tasks = new TasksReadModel(reader, messages, errors, now, cache);
  return {
    messages,
    errors,
    tasks,
    queues: new QueuesReadModel({
      reader,
      kafka: options.kafka,
      messages,
      tasks,
      agents: options.config.agents,
      sampleIntervalMs: options.config.lag.sampleIntervalMs,
      logger: options.logger,
      now,
      cache,
    }),
    traces: new TracesReadModel(reader, messages, errors),
    agents: new AgentsReadModel(reader, messages, options.config.agents, now, cache),
  };
}

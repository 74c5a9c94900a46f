import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, DEFAULT_AGENTS, loadConfig } from './config.js';
import { ErrorCode, TelemetryError } from './errors.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.registry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.clickhouse).toEqual({
      url: 'http://127.0.0.1:8123',
      username: 'default',
      password: '',
      database: 'agent_telemetry',
    });
    expect(config.agents).toEqual([...DEFAULT_AGENTS]);
    expect(config.topics).toEqual({ partitions: 3, replicationFactor: 1 });
  });

  it('parses lists, normalizes agent names and drops duplicates', () => {
    const config = loadConfig({
      KAFKA_BOOTSTRAP_SERVERS: ' kafka-0:9092, kafka-1:9092 ',
      AGENT_NAMES: 'Orchestrator, Data Analyst,orchestrator',
      TOPIC_PARTITIONS: '12',
      SCHEMA_REGISTRY_URL: 'http://registry:8080/apis/ccompat/v7/',
    });
    expect(config.kafka.brokers).toEqual(['kafka-0:9092', 'kafka-1:9092']);
    expect(config.agents).toEqual(['orchestrator', 'data-analyst']);
    expect(config.topics.partitions).toBe(12);
    expect(config.registry.url).toBe('http://registry:8080/apis/ccompat/v7');
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ CLICKHOUSE_DATABASE: '  ', LOG_LEVEL: '' }).clickhouse.database).toBe(
      'agent_telemetry',
    );
  });

  it('lists every problem at once, each naming its variable', () => {
    let caught: unknown;
    try {
      loadConfig({
        KAFKA_BOOTSTRAP_SERVERS: 'no-port',
        CLICKHOUSE_URL: 'not a url',
        TOPIC_PARTITIONS: '0',
        LOG_LEVEL: 'loud',
        CLICKHOUSE_DATABASE: '1bad-name',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TelemetryError);
    const error = caught as TelemetryError;
    expect(error.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('5 problems');
    for (const name of [
      'KAFKA_BOOTSTRAP_SERVERS',
      'CLICKHOUSE_URL',
      'TOPIC_PARTITIONS',
      'LOG_LEVEL',
      'CLICKHOUSE_DATABASE',
    ]) {
      expect(error.message).toContain(`${name}=`);
    }
  });

  it('gives the processors their defaults and refuses an agent group', () => {
    const config = loadConfig({});
    expect(config.processors).toMatchObject({
      groupId: 'telemetry-processors',
      batchSize: 5000,
      flushIntervalMs: 200,
      maxBufferedMessages: 10_000,
      httpPort: 9464,
      poison: { maxRatio: 0.5, window: 1000, minMessages: 100 },
    });
    expect(() => loadConfig({ PROCESSOR_GROUP_ID: 'agent-coder' })).toThrow(
      /PROCESSOR_GROUP_ID.*agent group/,
    );
    expect(() => loadConfig({ PROCESSOR_POISON_MAX_RATIO: '1.5' })).toThrow(/PROCESSOR_POISON_MAX_RATIO/);
  });

  it('publishes the names of the variables it reads', () => {
    expect(CONFIG_VARIABLES).toContain('KAFKA_BOOTSTRAP_SERVERS');
    expect(CONFIG_VARIABLES).toContain('AGENT_NAMES');
  });
});

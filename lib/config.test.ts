import { describe, expect, it } from 'vitest';
import {
  CONFIG_SLICES,
  CONFIG_VARIABLES,
  DEFAULT_AGENTS,
  configSecrets,
  isSecretVariable,
  loadConfig,
} from './config.js';
import { sliceReference } from './config/slice.js';
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
      flushIntervalMs: 1_000,
      maxBufferedMessages: 10_000,
      httpPort: 9464,
      poison: { maxRatio: 0.5, window: 1000, minMessages: 100 },
    });
    expect(() => loadConfig({ PROCESSOR_GROUP_ID: 'agent-coder' })).toThrow(
      /PROCESSOR_GROUP_ID.*agent group/,
    );
    expect(() => loadConfig({ PROCESSOR_POISON_MAX_RATIO: '1.5' })).toThrow(/PROCESSOR_POISON_MAX_RATIO/);
  });

  it('allows actions only with API_ACTIONS=on and a token, and says why otherwise', () => {
    const token = 'a-token-of-sixteen-chars';
    expect(loadConfig({}).api.actions).toMatchObject({ requested: false, enabled: false, dlqScanMs: 15_000 });
    expect(loadConfig({}).api.actions.refusal).toMatch(/API_ACTIONS=on and API_AUTH_TOKEN/);
    const noToken = loadConfig({ API_ACTIONS: 'on' }).api.actions;
    expect(noToken).toMatchObject({ requested: true, enabled: false });
    expect(noToken.refusal).toMatch(/needs API_AUTH_TOKEN/);
    expect(loadConfig({ API_ACTIONS: 'on', API_AUTH_TOKEN: token }).api.actions).toMatchObject({
      enabled: true,
      refusal: undefined,
    });
    expect(() => loadConfig({ API_ACTIONS: 'yes' })).toThrow(/API_ACTIONS/);
  });

  it('reads the alert notifier settings, refusing a webhook that is not a URL', () => {
    expect(loadConfig({}).alerts).toEqual({
      webhookUrls: [],
      slackWebhookUrls: [],
      minSeverity: 'high',
      intervalMs: 30_000,
      windowMinutes: 15,
      maxPerMinute: 20,
      timeoutMs: 5_000,
    });
    const config = loadConfig({
      ALERT_WEBHOOK_URLS: 'http://a.example/hook, http://b.example/hook',
      ALERT_SLACK_WEBHOOK_URLS: 'https://hooks.slack.example/T/B/x',
      ALERT_MIN_SEVERITY: 'critical',
    });
    expect(config.alerts.webhookUrls).toEqual(['http://a.example/hook', 'http://b.example/hook']);
    expect(config.alerts.slackWebhookUrls).toHaveLength(1);
    expect(config.alerts.minSeverity).toBe('critical');
    expect(() => loadConfig({ ALERT_WEBHOOK_URLS: 'not a url' })).toThrow(/ALERT_WEBHOOK_URLS/);
    expect(() => loadConfig({ ALERT_MIN_SEVERITY: 'urgent' })).toThrow(/ALERT_MIN_SEVERITY/);
  });

  it('publishes the names of the variables it reads', () => {
    expect(CONFIG_VARIABLES).toContain('KAFKA_BOOTSTRAP_SERVERS');
    expect(CONFIG_VARIABLES).toContain('AGENT_NAMES');
  });
});

describe('the configuration slices', () => {
  it('state each variable once, with a meaning', () => {
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
    for (const slice of CONFIG_SLICES) {
      for (const variable of sliceReference(slice)) {
        expect(variable.description, variable.name).not.toBe('');
      }
    }
  });

  it('apply a rule within a slice even when another slice has a problem', () => {
    expect(() =>
      loadConfig({ KAFKA_BOOTSTRAP_SERVERS: 'no-port', API_CORS_ORIGINS: '*', API_CORS_CREDENTIALS: 'true' }),
    ).toThrow(/2 problems.*\n.*KAFKA_BOOTSTRAP_SERVERS.*\n.*API_CORS_ORIGINS="\*": "\*" may not be used/);
  });

  it('give the logger every secret variable to redact', () => {
    const secrets = CONFIG_VARIABLES.filter(isSecretVariable);
    expect(secrets.length).toBeGreaterThan(0);
    const env = Object.fromEntries(secrets.map((name) => [name, `secret-value-of-${name}`]));
    expect(configSecrets(loadConfig(env)).sort()).toEqual(Object.values(env).sort());
  });

  it('redact a secret in a problem', () => {
    expect(() => loadConfig({ API_AUTH_TOKEN: 'short-secret' })).toThrow(
      'API_AUTH_TOKEN=[redacted, 12 characters]: at least 16 characters',
    );
  });
});

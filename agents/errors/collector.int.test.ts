import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka.js';
import { createCodec } from '../../lib/registry.js';
import { testConfig, testLogger, uniqueToken } from '../../lib/test-support/helpers.js';
import { ERRORS_TOPIC } from '../../schemas/topics.js';
import { LlmError } from '../llm/provider.js';
import { TopicTap } from '../test-support/topic-tap.js';
import { Tracing } from '../tracing.js';
import { AgentTransport } from '../transport.js';
import { ErrorCollector } from './collector.js';

describe('error collector on the real errors topic', () => {
  const config = testConfig();
  const logger = testLogger();
  const agent = `storm-${uniqueToken()}`;
  const tracing = new Tracing({ serviceName: 'test', endpoint: undefined });
  const transport = new AgentTransport({
    kafka: createKafka(config, logger, 'it-storm'),
    codec: createCodec(config),
    tracing,
    logger,
  });
  let tap: TopicTap;

  beforeAll(async () => {
    await transport.connect();
    tap = await new TopicTap(
      config,
      logger,
      [ERRORS_TOPIC],
      false,
      (r) => r.kind === 'DetailedError' && r.value.agent_name.startsWith(agent),
    ).start();
  });

  afterAll(async () => {
    await transport.close();
    await tap.close();
    await tracing.shutdown();
  });

  it('caps a storm at the configured rate and reports what it suppressed', async () => {
    const rate = 5;
    const burst = 5;
    const collector = new ErrorCollector({
      send: (record) => transport.sendError(record),
      logger,
      serviceName: 'test',
      environment: 'test',
      host: hostname(),
      perAgent: { ratePerSecond: 1_000, burst: 1_000 },
      perFingerprint: { ratePerSecond: rate, burst },
    });
    // the tap is live once it sees a record produced after it started
    collector.record(new TypeError('canary'), { agent: `${agent}-canary`, operation: 'canary' });
    expect(
      await tap.waitFor(() => tap.errors((e) => e.agent_name === `${agent}-canary`).length === 1, 30_000),
    ).toBe(true);
    const fail = (): LlmError =>
      new LlmError('server_error', 'HTTP 503', { provider: 'openai', model: 'm', status: 503 });
    const started = Date.now();
    let thrown = 0;
    // 400 failures from one place over about two seconds
    for (let i = 0; i < 400; i++) {
      collector.record(fail(), { agent, operation: 'llm.research', retryCount: i, maxRetries: 400 });
      thrown += 1;
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const elapsedS = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1_000 / rate + 50));
    collector.record(fail(), { agent, operation: 'llm.research' });
    thrown += 1;
    await collector.flush();

    const arrived = await tap.waitFor(
      () => tap.errors((e) => e.agent_name === agent).length === collector.stats.recorded - 1, // minus the canary
      20_000,
    );
    expect(
      arrived,
      `${tap.errors((e) => e.agent_name === agent).length} arrived, ${JSON.stringify(collector.stats)}`,
    ).toBe(true);
    const records = tap.errors((e) => e.agent_name === agent);
    // first of the fingerprint + burst + refill during the storm, + the one after the pause, + a held one
    expect(records.length).toBeLessThanOrEqual(1 + burst + Math.ceil(rate * elapsedS) + 2);
    expect(records.length).toBeLessThan(thrown / 10);
    expect(new Set(records.map((r) => r.fingerprint)).size).toBe(1);
    // every failure is accounted for: sent ones plus the counts they carry
    expect(records.reduce((sum, r) => sum + 1 + r.suppressed_count, 0)).toBe(thrown);
    expect(records.some((r) => r.suppressed_count > 0)).toBe(true);
    expect(records[0]).toMatchObject({
      category: 'llm_error',
      http_status: 503,
      is_retryable: true,
      suppressed_count: 0,
    });
  });
});

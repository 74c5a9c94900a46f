import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import { testConfig, testLogger, uniqueToken } from '../lib/test-support/helpers.js';
import type { AgentMessage } from '../schemas/records.js';
import { ERRORS_TOPIC, queueTopic } from '../schemas/topics.js';
import { JobClient } from './client.js';
import { OfflineProvider } from './llm/offline.js';
import { OpenAiCompatibleProvider } from './llm/openai.js';
import { createPriceTable } from './llm/pricing.js';
import { startAgentSystem, type AgentSystem } from './system.js';
import { TopicTap } from './test-support/topic-tap.js';
import { ROOT_CONTEXT } from './tracing.js';
import { cancelMessage } from './transport.js';

const ROLES = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;

/** An endpoint that answers every chat completion with 429, as OpenAI does when rate limited. */
async function rateLimitedServer(): Promise<{
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end(
        JSON.stringify({
          error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

describe('the agents over the real broker', () => {
  const token = uniqueToken();
  const names = ROLES.map((role) => `${role}-${token}`);
  const [orchestrator = '', researcher = '', writer = ''] = names;
  const clientName = `cli-${token}`;
  const logger = testLogger();
  let config: Config;
  let system: AgentSystem;
  let client: JobClient;
  let tap: TopicTap;
  let errors: TopicTap;
  let llm: Awaited<ReturnType<typeof rateLimitedServer>>;
  let failResearcher = false;
  let slowWriter = false;

  beforeAll(async () => {
    config = testConfig({ AGENT_NAMES: names.join(','), AGENT_STEP_TIMEOUT_MS: '20000' });
    llm = await rateLimitedServer();
    const offline = new OfflineProvider({ prices: createPriceTable(undefined), latencyMs: 5 });
    const slow = new OfflineProvider({ prices: createPriceTable(undefined), latencyMs: 20_000 });
    const failing = new OpenAiCompatibleProvider({
      baseUrl: llm.url,
      model: 'gpt-4o-mini',
      providerName: 'openai',
      timeoutMs: 2_000,
      maxRetries: 1,
      prices: createPriceTable(undefined),
      initialBackoffMs: 10,
    });
    system = await startAgentSystem({
      config,
      logger,
      agents: names,
      crash: () => {
        throw new Error('no crash expected here');
      },
      heartbeatMs: 500,
      drainMs: 2_000,
      // the researcher's model fails only while a test asks for it
      llmFor: (agent) => {
        if (agent === researcher) {
          return {
            name: 'switchable',
            model: 'gpt-4o-mini',
            complete: (request, options) => (failResearcher ? failing : offline).complete(request, options),
          };
        }
        if (agent === writer) {
          return {
            name: 'switchable',
            model: 'offline-deterministic',
            complete: (request, options) => (slowWriter ? slow : offline).complete(request, options),
          };
        }
        return undefined;
      },
    });
    client = new JobClient({
      config,
      kafka: system.kafka,
      transport: system.transport,
      tracing: system.tracing,
      logger,
      name: clientName,
      orchestrator,
    });
    await client.start();
    tap = await new TopicTap(config, logger, [...names, clientName].map(queueTopic), true).start();
    errors = await new TopicTap(
      config,
      logger,
      [ERRORS_TOPIC],
      false,
      (r) => r.kind === 'DetailedError' && r.value.agent_name.endsWith(token),
    ).start();
  });

  afterAll(async () => {
    await client.close();
    await system.stop();
    await Promise.all([tap.close(), errors.close(), llm.close()]);
    const admin = createKafka(config, logger, 'it-cleanup').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [...names, clientName].map(queueTopic) }).catch(() => undefined);
    await admin.deleteGroups(names.map((n) => `agent-${n}`)).catch(() => undefined);
    await admin.disconnect();
  });

  it('completes a job through all five agents, and every RESULT answers a TASK on its trace', async () => {
    const job = await client.submit('Explain consumer lag in Kafka', { timeoutMs: 60_000 });
    const answer = await job.answer;
    expect(answer.message_type).toBe('result');
    expect(answer.parent_message_id).toBe(job.task.message_id);
    expect(answer.trace_id).toBe(job.task.trace_id);
    const output = (JSON.parse(answer.payload) as { output: { steps: Record<string, { agent: string }> } })
      .output;
    expect(new Set(Object.values(output.steps).map((s) => s.agent))).toEqual(new Set(names.slice(1)));

    const jobMessages = (m: AgentMessage): boolean => m.job_id === job.task.job_id;
    const answeredAll = (): boolean => {
      const taskIds = tap
        .messages((m) => jobMessages(m) && m.message_type === 'task')
        .map((m) => m.message_id);
      const answered = new Set(
        tap.messages((m) => jobMessages(m) && m.message_type === 'result').map((m) => m.parent_message_id),
      );
      return taskIds.length >= 5 && taskIds.every((id) => answered.has(id));
    };
    expect(await tap.waitFor(answeredAll)).toBe(true);
    const tasks = new Map(
      tap.messages((m) => jobMessages(m) && m.message_type === 'task').map((m) => [m.message_id, m]),
    );
    const results = tap.messages((m) => jobMessages(m) && m.message_type === 'result');
    for (const result of results) {
      const task = tasks.get(result.parent_message_id ?? '');
      expect(task, `RESULT ${result.message_id} answers no TASK`).toBeDefined();
      expect(result.source_agent).toBe(task?.target_agent);
      expect(result.target_agent).toBe(task?.source_agent);
      expect(result.trace_id).toBe(job.task.trace_id);
      expect(result.span_id).toMatch(/^[0-9a-f]{16}$/);
      // when the worker started: after its task was sent (same host clock), no later than the answer
      expect(result.started_at).not.toBeNull();
      expect(result.started_at ?? 0).toBeGreaterThanOrEqual(task?.timestamp ?? Infinity);
      expect(result.started_at ?? Infinity).toBeLessThanOrEqual(result.timestamp);
    }
    // every task was answered, every agent received one, and the workers' usage travels in their results
    expect(new Set(results.map((r) => r.parent_message_id))).toEqual(new Set(tasks.keys()));
    expect(new Set([...tasks.values()].map((t) => t.target_agent))).toEqual(new Set(names));
    expect(
      results
        .filter((r) => r.source_agent !== orchestrator)
        .every((r) => r.llm_usage.length > 0 && r.llm_usage.every((c) => c.status === 'ok')),
    ).toBe(true);
    // W3C trace context in the headers matches the message
    const tapped = tap.records.find(
      (r) => r.kind === 'AgentMessage' && r.value.message_id === answer.message_id,
    );
    expect(tapped?.headers.traceparent).toBe(`00-${answer.trace_id}-${answer.span_id}-01`);
    // heartbeats from every agent
    expect(
      await tap.waitFor(() =>
        names.every(
          (n) => tap.messages((m) => m.message_type === 'heartbeat' && m.source_agent === n).length > 0,
        ),
      ),
    ).toBe(true);
  });

  it('reports a failing model as a rate-limited llm_error and retries the step', async () => {
    failResearcher = true;
    const before = llm.requests();
    const job = await client.submit('Summarize event sourcing', { timeoutMs: 60_000, maxRetries: 1 });
    const answer = await job.answer;
    failResearcher = false;
    expect(answer.message_type).toBe('error');
    // two attempts of the step, each with one client retry: four HTTP requests
    expect(llm.requests() - before).toBe(4);
    expect(
      await tap.waitFor(
        () =>
          tap.messages(
            (m) => m.job_id === job.task.job_id && m.message_type === 'task' && m.target_agent === researcher,
          ).length === 2,
      ),
    ).toBe(true);
    const researchTasks = tap.messages(
      (m) => m.job_id === job.task.job_id && m.message_type === 'task' && m.target_agent === researcher,
    );
    expect(researchTasks.map((t) => t.attempt).sort()).toEqual([1, 2]);
    const failed = tap.messages(
      (m) => m.job_id === job.task.job_id && m.message_type === 'error' && m.source_agent === researcher,
    );
    expect(failed.flatMap((m) => m.llm_usage.map((c) => c.status))).toContain('rate_limited');

    expect(
      await errors.waitFor(
        () => errors.errors((e) => e.job_id === job.task.job_id && e.agent_name === researcher).length >= 1,
      ),
    ).toBe(true);
    const llmError = errors.errors((e) => e.job_id === job.task.job_id && e.agent_name === researcher)[0];
    expect(llmError).toMatchObject({
      category: 'llm_error',
      error_type: 'LlmError',
      error_code: 'rate_limited',
      http_status: 429,
      is_retryable: true,
      model_name: 'gpt-4o-mini',
      operation: 'llm.research',
    });
    expect(llmError?.prompt_preview).toContain('Summarize event sourcing');
    expect(llmError?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(researchTasks.map((t) => t.message_id)).toContain(llmError?.task_id);
    expect(
      await errors.waitFor(
        () =>
          errors.errors(
            (e) =>
              e.job_id === job.task.job_id &&
              e.agent_name === orchestrator &&
              e.error_code === 'RETRIES_EXHAUSTED',
          ).length === 1,
      ),
    ).toBe(true);
    const exhausted = errors.errors(
      (e) => e.job_id === job.task.job_id && e.error_code === 'RETRIES_EXHAUSTED',
    )[0];
    expect(exhausted?.category).toBe('handoff_error');
  });

  it('propagates a CANCEL from the requester to the running steps, which stop without answering', async () => {
    slowWriter = true;
    const job = await client.submit('Write a checklist for debugging a stuck job', { timeoutMs: 60_000 });
    const writerTask = (): AgentMessage | undefined =>
      tap.messages(
        (m) => m.job_id === job.task.job_id && m.message_type === 'task' && m.target_agent === writer,
      )[0];
    expect(await tap.waitFor(() => writerTask() !== undefined, 20_000)).toBe(true);
    const started = Date.now();
    await client.cancel(job.task, 'changed my mind');
    const cancels = (): AgentMessage[] =>
      tap.messages((m) => m.job_id === job.task.job_id && m.message_type === 'cancel');
    // the requester's CANCEL to the orchestrator, and the orchestrator's to the writer's running task
    expect(
      await tap.waitFor(
        () =>
          cancels().some(
            (m) =>
              m.source_agent === orchestrator &&
              m.target_agent === writer &&
              m.parent_message_id === writerTask()?.message_id,
          ),
        20_000,
      ),
    ).toBe(true);
    expect(
      cancels().some(
        (m) =>
          m.source_agent === clientName &&
          m.target_agent === orchestrator &&
          m.parent_message_id === job.task.message_id,
      ),
    ).toBe(true);
    // the writer stopped: back to idle long before its 20 s model call would have ended, with no answer to the task
    const idleAgain = (): boolean =>
      tap.messages(
        (m) =>
          m.message_type === 'heartbeat' &&
          m.source_agent === writer &&
          m.timestamp > started &&
          m.heartbeat?.state === 'idle',
      ).length > 0;
    expect(await tap.waitFor(idleAgain, 10_000)).toBe(true);
    slowWriter = false;
    const answered = tap.messages(
      (m) =>
        m.parent_message_id === writerTask()?.message_id &&
        (m.message_type === 'result' || m.message_type === 'error'),
    );
    expect(answered).toEqual([]);
  });
  it("passes an operator's CANCEL on to the requester, which stops waiting for the step", async () => {
    slowWriter = true;
    const job = await client.submit('Write a checklist for cancelling a stuck step', { timeoutMs: 60_000 });
    const writerTask = (): AgentMessage | undefined =>
      tap.messages(
        (m) => m.job_id === job.task.job_id && m.message_type === 'task' && m.target_agent === writer,
      )[0];
    expect(await tap.waitFor(() => writerTask() !== undefined, 20_000)).toBe(true);
    const task = writerTask();
    if (task === undefined) throw new Error('no writer task');
    // as the API's cancel action sends it: from a sender that is not the requester, on the worker's queue
    await system.transport.send(
      { ...cancelMessage(task, 'stuck, cancelled by an operator'), source_agent: 'agent-telemetry-actions' },
      ROOT_CONTEXT,
    );
    const passedOn = (): boolean =>
      tap.messages(
        (m) =>
          m.message_type === 'cancel' &&
          m.source_agent === writer &&
          m.target_agent === orchestrator &&
          m.parent_message_id === task.message_id,
      ).length === 1;
    expect(await tap.waitFor(passedOn, 15_000)).toBe(true);
    slowWriter = false;
    const answered = tap.messages(
      (m) =>
        m.parent_message_id === task.message_id &&
        (m.message_type === 'result' || m.message_type === 'error'),
    );
    expect(answered).toEqual([]);
  });
});

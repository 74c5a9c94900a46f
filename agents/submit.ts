import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import type { AgentMessage } from '../schemas/records.js';
import { JobClient } from './client.js';
import { Tracing } from './tracing.js';
import { AgentTransport } from './transport.js';

export interface SubmitAndWaitOptions {
  config: Config;
  logger: Logger;
  goal: string;
  out: NodeJS.WritableStream;
  timeoutMs: number;
  orchestrator: string;
  requester: string;
  json: boolean;
  /** Aborted on Ctrl-C: the job is cancelled (a CANCEL goes to the orchestrator) and 130 returned. */
  interrupt?: AbortSignal;
  maxRetries?: number;
  stepTimeoutMs?: number;
}

interface StepView {
  agent?: string;
  attempts?: number;
  task_id?: string;
  output?: Record<string, unknown>;
  usage?: { calls: number; prompt_tokens: number; completion_tokens: number; cost_usd: number };
}

function describe(answer: AgentMessage, elapsedMs: number): string {
  const payload = JSON.parse(answer.payload) as Record<string, unknown>;
  const lines: string[] = [];
  const seconds = (elapsedMs / 1000).toFixed(1);
  if (answer.message_type === 'result') {
    const output = (payload.output ?? {}) as {
      summary?: string;
      steps?: Record<string, StepView>;
      reworks?: number;
    };
    lines.push(`completed in ${seconds} s`, '', `summary: ${output.summary ?? ''}`, '', 'steps:');
    let calls = answer.llm_usage.length;
    let prompt = answer.llm_usage.reduce((s, c) => s + c.prompt_tokens, 0);
    let completion = answer.llm_usage.reduce((s, c) => s + c.completion_tokens, 0);
    let cost = answer.llm_usage.reduce((s, c) => s + c.cost_usd, 0);
    for (const [id, step] of Object.entries(output.steps ?? {})) {
      const preview = JSON.stringify(step.output ?? {})
        .replace(/\\n/g, ' ')
        .slice(0, 110);
      lines.push(
        `  ${id.padEnd(9)} ${String(step.agent).padEnd(14)} attempt ${step.attempts ?? 1}  task ${step.task_id ?? ''}`,
        `            ${preview}`,
      );
      calls += step.usage?.calls ?? 0;
      prompt += step.usage?.prompt_tokens ?? 0;
      completion += step.usage?.completion_tokens ?? 0;
      cost += step.usage?.cost_usd ?? 0;
    }
    lines.push('', `reworks: ${output.reworks ?? 0}`);
    lines.push(
      `llm: ${calls} calls, ${prompt} prompt + ${completion} completion tokens, $${cost.toFixed(6)}`,
    );
  } else {
    lines.push(
      `${answer.message_type === 'cancel' ? 'cancelled' : 'failed'} after ${seconds} s: ${answer.reason ?? ''}`,
    );
    for (const key of ['error_type', 'category', 'error_code', 'root_agent', 'error_id']) {
      if (payload[key] !== undefined && payload[key] !== null)
        lines.push(`  ${key}: ${JSON.stringify(payload[key])}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `agents submit`: sends one job to the orchestrator and prints its answer. Exit code 0 for a
 * RESULT, 1 for an ERROR or CANCEL, 3 when no answer came before the deadline.
 */
export async function submitAndWait(options: SubmitAndWaitOptions): Promise<number> {
  const { config, logger } = options;
  const tracing = new Tracing({ serviceName: config.otel.serviceName, endpoint: config.otel.endpoint });
  const kafka = createKafka(config, logger, 'agents-submit');
  const transport = new AgentTransport({ kafka, codec: createCodec(config), tracing, logger });
  const client = new JobClient({
    config,
    kafka,
    transport,
    tracing,
    logger,
    name: options.requester,
    orchestrator: options.orchestrator,
  });
  try {
    await transport.connect();
    await client.start();
    const started = Date.now();
    const job = await client.submit(options.goal, {
      timeoutMs: options.timeoutMs,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
    });
    if (!options.json) {
      options.out.write(
        `submitted job ${job.task.job_id ?? ''} to ${options.orchestrator}\n  task  ${job.task.message_id}\n  trace ${job.task.trace_id}\n`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, options.timeoutMs + 2_000);
    });
    const interrupted = new Promise<'interrupted'>((resolve) => {
      options.interrupt?.addEventListener('abort', () => {
        resolve('interrupted');
      });
    });
    const answer = await Promise.race([job.answer, timeout, interrupted]);
    clearTimeout(timer);
    if (answer === 'interrupted') {
      await client.cancel(job.task, 'interrupted by the user').catch(() => undefined);
      options.out.write(
        options.json
          ? `${JSON.stringify({ job_id: job.task.job_id, state: 'cancelled' })}\n`
          : 'interrupted: job cancelled\n',
      );
      return 130;
    }
    if (answer === undefined) {
      await client.cancel(job.task, 'no answer before the deadline').catch(() => undefined);
      options.out.write(
        options.json
          ? `${JSON.stringify({ job_id: job.task.job_id, state: 'timeout' })}\n`
          : `no answer within ${options.timeoutMs} ms (job cancelled)\n`,
      );
      return 3;
    }
    if (options.json) {
      options.out.write(`${JSON.stringify({ ...answer, payload: JSON.parse(answer.payload) as unknown })}\n`);
    } else {
      options.out.write(describe(answer, Date.now() - started));
    }
    return answer.message_type === 'result' ? 0 : 1;
  } finally {
    await client.close();
    await transport.close();
    await tracing.shutdown().catch(() => undefined);
  }
}

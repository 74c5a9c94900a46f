import type { Config } from '../lib/config.js';
import { createKafka, type Consumer } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { TestProducer } from '../lib/test-support/helpers.js';
import type { AgentMessage } from '../schemas/records.js';
import { queueTopic } from '../schemas/topics.js';
import { spawnBenchChild, type BenchChild } from './child.js';
import { TICK_MS, type SyntheticCase } from './diagnosis-synthetic.js';

/**
 * What drives one scorecard case: the synthetic producer with a consumer per agent (as deployed
 * agents would have), or the reference agents running a fault scenario.
 */

/** How much healthy history each synthetic case writes before it goes live (back-dated). */
export const HISTORY_MS = 120_000;

/** Produces messages when they are due, grouped by queue topic, keyed by task. */
async function send(producer: TestProducer, messages: readonly AgentMessage[]): Promise<void> {
  const byTopic = new Map<string, AgentMessage[]>();
  for (const m of messages) {
    const topic = queueTopic(m.target_agent);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), m]);
  }
  await Promise.all(
    [...byTopic].map(([topic, list]) =>
      producer.send(topic, 'AgentMessage', list, (m) => m.parent_message_id ?? m.message_id),
    ),
  );
}

export interface SyntheticRun {
  /** Wall time of the first faulty tick (ms), once `fault()` was called. */
  readonly onsetMs: number | undefined;
  fault(): void;
  stop(): Promise<void>;
}

/**
 * Starts a consumer per agent of the cases, writes their healthy history, then their live traffic
 * every tick until stopped; `fault()` turns the traffic faulty from the next tick.
 */
export async function startSynthetic(
  config: Config,
  logger: Logger,
  producer: TestProducer,
  cases: readonly SyntheticCase[],
): Promise<SyntheticRun> {
  const kafka = createKafka(config, logger, 'bench-diagnosis-agents');
  const consumers: Consumer[] = [];
  for (const agent of cases.flatMap((c) => c.agents)) {
    const consumer = kafka.consumer({ kafkaJS: { groupId: `agent-${agent}`, fromBeginning: true } });
    await consumer.connect();
    await consumer.subscribe({ topics: [queueTopic(agent)] });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    consumers.push(consumer);
  }
  const now = Date.now();
  const first = now - HISTORY_MS;
  const history: AgentMessage[] = [];
  for (let at = first - (first % TICK_MS); at < now; at += TICK_MS)
    for (const c of cases) history.push(...c.traffic(at, false));
  const due = (m: AgentMessage): boolean => m.timestamp <= Date.now();
  let queue = history.filter((m) => !due(m));
  await send(
    producer,
    history.filter((m) => due(m)),
  );
  let onsetMs: number | undefined;
  let faulty = false;
  let sending = Promise.resolve();
  const timer = setInterval(() => {
    const at = Date.now();
    if (faulty && onsetMs === undefined) onsetMs = at;
    for (const c of cases) queue.push(...c.traffic(at, faulty));
    const ready = queue.filter((m) => due(m));
    queue = queue.filter((m) => !due(m));
    sending = sending
      .then(() => send(producer, ready))
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'synthetic traffic not sent');
      });
  }, TICK_MS);
  return {
    get onsetMs() {
      return onsetMs;
    },
    fault() {
      faulty = true;
    },
    async stop() {
      clearInterval(timer);
      await sending;
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    },
  };
}

/** The reference agents running `scenario` under `names`, as a child process. */
export function startAgents(
  cliPath: URL,
  scenario: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv,
): BenchChild {
  return spawnBenchChild({
    name: `agents ${scenario}`,
    script: cliPath,
    args: ['agents', 'run', '--scenario', scenario],
    env: { ...env, AGENT_NAMES: names.join(','), AGENTS_HTTP_PORT: '0' },
    onStderrLine: () => undefined,
  });
}

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { createCodec } from '../lib/registry.js';
import { quoteString } from '../lib/sql.js';
import { ERROR_FACTS } from '../lib/tables/error-facts.js';
import { ERROR_GROUPS } from '../lib/tables/error-groups.js';
import { DEAD_LETTERS } from '../lib/tables/dead-letters.js';
import { MESSAGE_LOG } from '../lib/tables/message-log.js';
import { TASK_STATE } from '../lib/tables/task-lifecycle.js';
import { startClickHouseProxy } from '../lib/test-support/clickhouse-proxy.js';
import { startGroupsAtEnd } from '../lib/test-support/helpers.js';
import { PROCESSOR_PROCESS_ENV } from '../lib/process-env.js';
import { ERRORS_TOPIC } from '../schemas/topics.js';
import { repoRoot } from '../lib/repo-root.js';
import { benchToken, setUpBench } from './bench-env.js';
import { freePort, spawnBenchChild, waitForHttpOk, type BenchChild } from './child.js';
import { createLiveProducer, producePaced } from './produce.js';
import { int, say } from './report.js';
import { WorkloadGenerator } from './workload.js';

const run = promisify(execFile);

/** The faults of a soak, in the order they are staged. */
export const SOAK_FAULTS = ['kill', 'clickhouse', 'broker', 'scale'] as const;
export type SoakFault = (typeof SOAK_FAULTS)[number];

export interface SoakOptions {
  /** Messages per second (agent messages and errors together). */
  rate: number;
  /** Seconds of producing; the faults are spread over them. */
  seconds: number;
  faults: readonly SoakFault[];
  /** How long ClickHouse stays stopped. */
  clickhouseOutageSeconds: number;
  /** The stack service of the ClickHouse the processors write to (`clickhouse` or `chdb`). */
  clickhouseService: string;
  /** One poison message (not Avro) is produced every this many messages. */
  poisonEvery: number;
  /** How long to wait, after the last message, for every view to be complete. */
  settleSeconds: number;
  /** The `agent-telemetry` entry point of the build whose processors are soaked (`cli/main.js`). */
  cli: URL;
}

export interface SoakResult {
  produced: number;
  lost: number;
  duplicated: number;
  deadLettered: number;
  poison: number;
  maxRssMb: number;
  /** Every check, as `name: expected → found`. */
  checks: string[];
  ok: boolean;
}

const REVOKE_TIMEOUT_MS = 2_000;

/**
 * The processors' own fault suite: a producer at a fixed rate while, in turn, a processor is
 * SIGKILLed, ClickHouse stops, the broker restarts, and the group of three processors scales to four
 * and back to two while a proxy in front of ClickHouse holds inserts three times past the revoke
 * timeout. Then every view is checked against what was produced.
 */
export async function runSoak(config: Config, logger: Logger, options: SoakOptions): Promise<SoakResult> {
  const token = benchToken();
  const env = await setUpBench(config, logger, token);
  const proxy = await startClickHouseProxy(config.clickhouse.url);
  const children: BenchChild[] = [];
  let maxRssMb = 0;
  const sampleRss = (): void => {
    for (const child of children) maxRssMb = Math.max(maxRssMb, child.peakRssMb() ?? 0);
  };
  const sampler = setInterval(sampleRss, 500);
  const abort = new AbortController();

  const startProcessor = async (): Promise<BenchChild> => {
    const port = await freePort();
    const child = spawnBenchChild({
      name: `processors-${children.length + 1}`,
      script: options.cli,
      args: ['processors'],
      env: {
        ...process.env,
        ...PROCESSOR_PROCESS_ENV,
        CLICKHOUSE_URL: proxy.url,
        CLICKHOUSE_DATABASE: env.processors.database,
        PROCESSOR_GROUP_ID: env.processors.groupId,
        PROCESSOR_QUEUE_TOPIC_PATTERN: env.processors.queueTopicPattern,
        PROCESSOR_HTTP_PORT: String(port),
        PROCESSOR_REVOKE_TIMEOUT_MS: String(REVOKE_TIMEOUT_MS),
        LOG_LEVEL: 'warn',
      },
      onStderrLine: () => undefined,
    });
    children.push(child);
    await waitForHttpOk(`http://127.0.0.1:${port}/readyz`, child, 120_000, abort.signal);
    return child;
  };
  const stack = async (action: 'start' | 'stop', service: string): Promise<void> => {
    await run('bash', [join(repoRoot(), 'scripts', 'stack.sh'), action, service], {
      timeout: 300_000,
    });
  };

  try {
    await startGroupsAtEnd(config, [env.processors.groupId], [ERRORS_TOPIC]);
    const live = [await startProcessor(), await startProcessor(), await startProcessor()];
    const codec = createCodec(config);
    const producer = createLiveProducer(env.kafka);
    await producer.connect();
    let produced = { messages: 0, errors: 0 };
    let poison = 0;
    let sinceLastPoison = 0;
    const poisonTopic = env.queueTopics[0] ?? '';
    const producing = producePaced({
      producer,
      codec,
      generator: new WorkloadGenerator(env.agents, `${token}-s-`, 0x50a6),
      rate: options.rate,
      seconds: options.seconds,
      sliceMs: 50,
      signal: abort.signal,
      onSlice: (_sentMs, counts) => {
        produced = { messages: produced.messages + counts.messages, errors: produced.errors + counts.errors };
        sinceLastPoison += counts.messages + counts.errors;
        if (sinceLastPoison >= options.poisonEvery) {
          sinceLastPoison = 0;
          poison += 1;
          void producer.send({
            topic: poisonTopic,
            messages: [{ value: Buffer.from(`{"poison":${poison}}`) }],
          });
        }
      },
    });

    const stageEvery = (options.seconds * 1000) / (options.faults.length + 1);
    for (const [index, fault] of options.faults.entries()) {
      await sleep(index === 0 ? stageEvery : stageEvery / 2, undefined, { signal: abort.signal });
      say(`fault ${index + 1}/${options.faults.length}: ${fault}`);
      if (fault === 'kill') {
        const victim = live.shift();
        if (victim !== undefined) {
          process.kill(victim.pid, 'SIGKILL');
          await victim.exited;
        }
        live.push(await startProcessor());
      } else if (fault === 'clickhouse') {
        await stack('stop', options.clickhouseService);
        await sleep(options.clickhouseOutageSeconds * 1000);
        await stack('start', options.clickhouseService);
      } else if (fault === 'broker') {
        await stack('stop', 'kafka');
        await sleep(5_000);
        await stack('start', 'kafka');
      } else {
        proxy.holdInserts(REVOKE_TIMEOUT_MS * 3);
        live.push(await startProcessor());
        await sleep(REVOKE_TIMEOUT_MS * 2);
        for (const leaving of live.splice(0, 2)) await leaving.stop();
        proxy.holdInserts(0);
      }
    }
    const paced = await producing;
    await producer.disconnect();
    say(`produced ${int(paced.sent)} records and ${int(poison)} poison messages`);

    const access = env.processors.access;
    const inList = (names: readonly string[]): string => names.map(quoteString).join(', ');
    const queues = inList(env.queueTopics);
    const agents = inList(Object.values(env.agents.names));
    const number = async (sql: string): Promise<number> => {
      const rows = await access.query<{ n: string | number }>(sql);
      return Number(rows[0]?.n ?? 0);
    };
    const views = async (): Promise<Record<string, number>> => ({
      messages: await number(
        `SELECT uniqExact(message_id) AS n FROM ${MESSAGE_LOG} WHERE topic IN (${queues})`,
      ),
      messagesFinal: await number(`SELECT count() AS n FROM ${MESSAGE_LOG} FINAL WHERE topic IN (${queues})`),
      errors: await number(
        `SELECT uniqExact(error_id) AS n FROM ${ERROR_FACTS} WHERE agent_name IN (${agents})`,
      ),
      errorsFinal: await number(
        `SELECT count() AS n FROM ${ERROR_FACTS} FINAL WHERE agent_name IN (${agents})`,
      ),
      grouped: await number(
        `SELECT sum(n) AS n FROM (SELECT uniqExactMerge(error_count) AS n FROM ${ERROR_GROUPS} GROUP BY fingerprint HAVING hasAny(groupUniqArrayMerge(agents), [${agents}]))`,
      ),
      deadLetters: await number(`SELECT count() AS n FROM ${DEAD_LETTERS} FINAL WHERE topic IN (${queues})`),
      tasks: await number(
        `SELECT uniqExact(message_id) AS n FROM ${MESSAGE_LOG} WHERE topic IN (${queues}) AND message_type = 'task'`,
      ),
      taskView: await number(`SELECT uniqExact(task_id) AS n FROM ${TASK_STATE} WHERE agent IN (${agents})`),
    });
    const complete = (v: Record<string, number>): boolean =>
      v.messages === produced.messages && v.errors === produced.errors && v.deadLetters === poison;
    const deadline = Date.now() + options.settleSeconds * 1000;
    let found = await views();
    while (!complete(found) && Date.now() < deadline) {
      await sleep(1_000);
      found = await views().catch(() => found);
    }
    sampleRss();
    const get = (key: string): number => found[key] ?? 0;
    const checks: [string, number, number][] = [
      ['messages stored (distinct ids)', produced.messages, get('messages')],
      ['messages as read with FINAL', produced.messages, get('messagesFinal')],
      ['errors stored (distinct ids)', produced.errors, get('errors')],
      ['errors as read with FINAL', produced.errors, get('errorsFinal')],
      ['errors counted by their groups', produced.errors, get('grouped')],
      ['tasks in the pending-task view', get('tasks'), get('taskView')],
      ['dead letters', poison, get('deadLetters')],
    ];
    const lost =
      Math.max(0, produced.messages - get('messages')) + Math.max(0, produced.errors - get('errors'));
    const duplicated =
      Math.max(0, get('messagesFinal') - get('messages')) + Math.max(0, get('errorsFinal') - get('errors'));
    return {
      produced: produced.messages + produced.errors,
      lost,
      duplicated,
      deadLettered: get('deadLetters'),
      poison,
      maxRssMb: Math.round(maxRssMb),
      checks: checks.map(([name, expected, got]) => `${name}: ${int(expected)} → ${int(got)}`),
      ok: checks.every(([, expected, got]) => expected === got),
    };
  } finally {
    clearInterval(sampler);
    abort.abort();
    proxy.holdInserts(0);
    await Promise.all(children.map((child) => child.stop(30_000)));
    await proxy.close();
    const problems = await env.cleanUp();
    for (const problem of problems) say(`clean-up: ${problem}`);
  }
}

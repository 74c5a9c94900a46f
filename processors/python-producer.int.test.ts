import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTopic } from '../schemas/topics.js';
import type { Config } from '../lib/config.js';
import { quoteString } from '../lib/sql.js';
import { queryTasks } from '../lib/tables/task-lifecycle.js';
import {
  createTestDatabase,
  eventually,
  uniqueToken,
  type TestDatabase,
} from '../lib/test-support/helpers.js';
import { pythonWithPackages } from '../lib/test-support/python-packages.js';
import {
  REPO_ROOT,
  countRows,
  createTopics,
  deleteGroups,
  deleteTopics,
  processorsTestConfig,
  runProcessorsInProcess,
  type RunningProcessors,
} from './test-support/harness.js';

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, 'agents', 'examples', 'python');

const token = uniqueToken();
const boss = `it-${token}-boss`;
const worker = `it-${token}-worker`;
const topics = [queueTopic(boss), queueTopic(worker)];

/** What the example producer printed: the task ids by the state they should have. */
interface Sent {
  completed: string[];
  failed: string[];
  cancelled: string[];
  pending: string[];
  messages: number;
}

/**
 * A producer the project did not write: the Python example of agents/examples/python, with
 * Confluent's Python client (librdkafka underneath, its own Avro serializer and schema registry
 * client) and its own copy of the schema, without our namespace and with fewer fields.
 */
describe('a Python producer with its own copy of the schema (confluent-kafka)', () => {
  let db: TestDatabase;
  let config: Config;
  let processors: RunningProcessors;
  let sent: Sent;

  beforeAll(async () => {
    const python = await pythonWithPackages(join(EXAMPLE, 'requirements.txt'));
    db = await createTestDatabase('it_py');
    config = processorsTestConfig(db.name, `it-py-${token}`, token);
    await createTopics(config, topics);
    processors = await runProcessorsInProcess(config);
    const { stdout } = await run(
      python.python,
      [
        join(EXAMPLE, 'producer.py'),
        '--bootstrap',
        config.kafka.brokers.join(','),
        '--registry',
        config.registry.url,
        '--requester',
        boss,
        '--worker',
        worker,
      ],
      { env: python.env, timeout: 60_000 },
    );
    sent = JSON.parse(stdout) as Sent;
  }, 400_000);

  afterAll(async () => {
    await processors.stop();
    await deleteTopics(config, topics);
    await deleteGroups(config, [config.processors.groupId]);
    await db.drop();
  });

  const inTopics = `topic IN (${topics.map(quoteString).join(', ')})`;

  it('stores every message it sent, dead-letters none', async () => {
    const stored = () => countRows(db.access, `SELECT count() AS n FROM message_log FINAL WHERE ${inTopics}`);
    const arrived = await eventually(async () => (await stored()) >= sent.messages, 60_000);
    // the reasons first: a message dead-lettered says why
    const deadLetters = await db.access.query<{ error_code: string; reason: string }>(
      `SELECT error_code, reason FROM dead_letters WHERE ${inTopics}`,
    );
    expect(deadLetters).toEqual([]);
    expect(arrived).toBe(true);
    expect(await stored()).toBe(sent.messages);
  });

  it('gives each task the state its answers say, with the defaults of the fields it left out', async () => {
    const ids = [...sent.completed, ...sent.failed, ...sent.cancelled, ...sent.pending];
    const states = await queryTasks(db.access, { taskIds: ids });
    const byState = (state: string) =>
      states
        .filter((s) => s.state === state)
        .map((s) => s.task_id)
        .sort();
    expect(byState('completed')).toEqual(sent.completed);
    expect(byState('failed')).toEqual(sent.failed);
    expect(byState('cancelled')).toEqual(sent.cancelled);
    expect(byState('pending')).toEqual([...sent.pending].sort());
    expect(states.every((s) => s.agent === worker && s.requester === boss)).toBe(true);
    // attempt and max_retries are not in its schema: the reader's defaults
    expect(states.map((s) => [s.attempt, s.max_retries])).toEqual(ids.map(() => [1, 0]));
    expect(states.find((s) => s.task_id === sent.completed[0])?.priority).toBe('high');
  });

  it("records its heartbeat in the worker's liveness", async () => {
    const liveness = await db.access.query<{ state: string; in_flight: number }>(
      `SELECT argMaxMerge(last_state) AS state, argMaxMerge(last_in_flight) AS in_flight
       FROM agent_liveness WHERE agent = ${quoteString(worker)} GROUP BY agent`,
    );
    expect(liveness).toEqual([{ state: 'busy', in_flight: 2 }]);
  });
});

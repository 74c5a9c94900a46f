import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedTestDatabase,
  uniqueToken,
  type TestDatabase,
} from '../../lib/test-support/helpers.js';
import { sampleResult, sampleTask } from '../../schemas/test-support/fixtures.js';
import type { AgentMessage } from '../../schemas/records.js';
import { insertMessages } from '../test-support/seed.js';
import { TaskTimeReadModel } from './read-model.js';

/**
 * A window with more answers than a read keeps: the tasks and LLM calls are read for the answers
 * kept only, and each kept task's breakdown is the same as when every answer is kept.
 */
let db: TestDatabase;
const token = `win${uniqueToken()}`;
const boss = `${token}-boss`;
const worker = `${token}-worker`;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const TASKS = 12;

beforeAll(async () => {
  db = await createMigratedTestDatabase('timing_window');
  const messages: AgentMessage[] = [];
  for (let n = 0; n < TASKS; n++) {
    const sentAt = NOW - 600_000 + n * 20_000;
    const task = sampleTask({
      message_id: `${token}-t${n}`,
      source_agent: boss,
      target_agent: worker,
      trace_id: `${token}-tr${n}`,
      timestamp: sentAt,
      ttl_seconds: null,
      deadline: null,
    });
    const answer = sampleResult({
      message_id: `${token}-r${n}`,
      source_agent: worker,
      target_agent: boss,
      parent_message_id: task.message_id,
      trace_id: task.trace_id,
      timestamp: sentAt + 5_000 + n * 10,
      started_at: sentAt + 1_000,
      llm_usage: [
        {
          model: 'm',
          provider: 'p',
          prompt_tokens: 10,
          completion_tokens: 5,
          latency_ms: 100 + n,
          cost_usd: 0,
          status: 'ok',
        },
      ],
    });
    messages.push(task, answer);
  }
  await insertMessages(db.access, messages);
});

afterAll(async () => {
  await db.drop();
});

describe('a time window with more answers than a read keeps', () => {
  it('keeps the newest, each with its own task and LLM calls, as when every answer is kept', async () => {
    const all = await new TaskTimeReadModel(db.access).window(NOW - 3_600_000, NOW + 60_000);
    expect(all.truncated).toBe(false);
    expect(all.tasks).toHaveLength(TASKS);

    const kept = await new TaskTimeReadModel(db.access, 5).window(NOW - 3_600_000, NOW + 60_000);
    expect(kept.truncated).toBe(true);
    const newest = [...all.tasks]
      .sort((a, b) => (b.answered_at ?? '').localeCompare(a.answered_at ?? ''))
      .slice(0, 5)
      .map((t) => t.task_id)
      .sort();
    expect(kept.tasks.map((t) => t.task_id).sort()).toEqual(newest);
    for (const time of kept.tasks) {
      expect(time.split).toBe('known');
      expect(time.llm_calls).toBe(1);
      expect(time).toEqual(all.tasks.find((t) => t.task_id === time.task_id));
    }
  });
});

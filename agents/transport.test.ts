import { describe, expect, it } from 'vitest';
import { sampleTask } from '../schemas/test-support/fixtures.js';
import { cancelMessage, heartbeatMessage, replyMessage, taskMessage } from './transport.js';

describe('message builders', () => {
  it('give an answer the time its agent started the task, and leave it null elsewhere', () => {
    const task = sampleTask();
    const result = replyMessage(
      task,
      'researcher',
      'result',
      { output: 'x' },
      { startedAtMs: 1_764_000_000_400 },
    );
    expect(result).toMatchObject({
      message_type: 'result',
      parent_message_id: task.message_id,
      started_at: 1_764_000_000_400,
    });
    expect(replyMessage(task, 'researcher', 'error', {}).started_at).toBeNull();
    expect(cancelMessage(task, 'no longer needed').started_at).toBeNull();
    expect(
      taskMessage({
        from: 'a',
        to: 'b',
        payload: {},
        jobId: 'j',
        attempt: 1,
        maxRetries: 0,
        ttlSeconds: 60,
        deadline: null,
      }).started_at,
    ).toBeNull();
    expect(
      heartbeatMessage('a', {
        state: 'idle',
        in_flight: 0,
        max_concurrency: 1,
        host: 'h',
        pid: 1,
        version: 'v',
      }).started_at,
    ).toBeNull();
  });
});

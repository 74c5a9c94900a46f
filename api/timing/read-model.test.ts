import { describe, expect, it } from 'vitest';
import type { ClickHouseReader } from '../../lib/clickhouse.js';
import { TaskTimeReadModel } from './read-model.js';

const N = 2_500;
const T0 = 1_800_000_000_000;

/** Answers, tasks and LLM calls of N tasks, answered at once (no I/O to wait for). */
function instantReader(onLastQuery: () => void): ClickHouseReader {
  const rows = (sql: string): object[] => {
    if (sql.includes('ORDER BY answered_ms DESC')) {
      return Array.from({ length: N }, (_, i) => ({
        id: `a-${i}`,
        task: `t-${i}`,
        worker: `w-${i % 3}`,
        requester: 'orch',
        outcome: 'result',
        trace: `tr-${i}`,
        answered_ms: T0 + 10_000 + (N - i),
        started_ms: T0 + 1_000,
      }));
    }
    onLastQuery();
    if (sql.includes("message_type = 'task'")) {
      return Array.from({ length: N }, (_, i) => ({
        id: `t-${i}`,
        worker: `w-${i % 3}`,
        requester: 'orch',
        trace: `tr-${i}`,
        att: 1,
        sent_ms: T0 + Math.floor(i / 2),
      }));
    }
    return Array.from({ length: N }, (_, i) => ({ id: `a-${i}`, calls: 1, llm: 500 }));
  };
  return { query: <T>(sql: string) => Promise.resolve(rows(sql) as T[]) };
}

describe('TaskTimeReadModel.window', () => {
  it('builds a large window in slices, giving the event loop turns, oldest first', async () => {
    let turns = 0;
    let done = false;
    let ticking = false;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    const model = new TaskTimeReadModel(
      instantReader(() => {
        if (ticking) return;
        ticking = true;
        setImmediate(tick);
      }),
    );
    const read = await model.window(T0, T0 + 60_000);
    done = true;
    // without slices, the answers' microtasks end the read before any turn of the loop
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(read.tasks).toHaveLength(N);
    const ids = read.tasks.map((t) => t.task_id);
    expect(ids.slice(0, 4)).toEqual(['t-0', 't-1', 't-2', 't-3']);
    for (let i = 1; i < read.tasks.length; i++) {
      const [a, b] = [read.tasks[i - 1], read.tasks[i]];
      expect((a?.sent_at ?? '') <= (b?.sent_at ?? '')).toBe(true);
    }
  });
});

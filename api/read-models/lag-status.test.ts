import { describe, expect, it } from 'vitest';
import { evaluateConsumer, evaluatePartition, type LagSample } from './lag-status.js';

/** Ten samples 5 s apart ending at t = 45 s, from committed offsets and lags. */
function window(committed: readonly number[], lags: readonly number[], members = 1): LagSample[] {
  return committed.map((c, i) => ({
    sampled_at_ms: i * 5_000,
    committed_offset: c,
    lag: lags[i] ?? 0,
    members,
  }));
}
const now = 46_000;
const steady = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

describe("Burrow's rules", () => {
  it('is OK when the latest lag is zero, whatever came before', () => {
    expect(
      evaluatePartition(window([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [9, 9, 9, 9, 9, 9, 9, 9, 9, 0]), now),
    ).toBe('OK');
  });

  it('is OK when the consumer keeps up (offsets move, lag goes up and down)', () => {
    expect(evaluatePartition(window(steady, [3, 1, 4, 1, 5, 2, 6, 2, 5, 3]), now)).toBe('OK');
  });

  it('is WARN when offsets move but the lag never shrinks and grows', () => {
    expect(evaluatePartition(window(steady, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), now)).toBe('WARN');
  });

  it('is STALL when the offset is stuck with lag while the group has members', () => {
    expect(evaluatePartition(window(Array<number>(10).fill(7), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), now)).toBe(
      'STALL',
    );
  });

  it('is STOP when the offset is stuck beyond the window and the group has no members', () => {
    expect(evaluatePartition(window(Array<number>(10).fill(7), Array<number>(10).fill(4), 0), now)).toBe(
      'STOP',
    );
  });

  it('is STOP when the group never committed while messages wait', () => {
    expect(evaluatePartition(window(Array<number>(10).fill(-1), Array<number>(10).fill(4), 0), now)).toBe(
      'STOP',
    );
  });

  it('is REWIND when the committed offset goes backwards', () => {
    expect(
      evaluatePartition(window([10, 20, 30, 40, 15, 50, 60, 70, 80, 90], Array<number>(10).fill(3)), now),
    ).toBe('REWIND');
  });

  it('uses only the latest ten samples', () => {
    const old = window([100, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
    expect(evaluatePartition(old, 51_000)).toBe('OK');
  });

  it('rates the consumer by its worst partition', () => {
    expect(evaluateConsumer(['OK', 'WARN'])).toEqual({ status: 'WARN', worst: 'WARN' });
    expect(evaluateConsumer(['OK', 'STALL', 'WARN'])).toEqual({ status: 'ERR', worst: 'STALL' });
    expect(evaluateConsumer(['REWIND', 'STOP'])).toEqual({ status: 'ERR', worst: 'STOP' });
    expect(evaluateConsumer([])).toEqual({ status: 'OK', worst: 'OK' });
  });
});

import { describe, expect, it } from 'vitest';
import { evaluateLag, worstLagStatus } from './burrow.js';

const series = (rows: [end: number, committed: number][]) =>
  rows.map(([end, committed], i) => ({
    at_ms: i * 5_000,
    end_offset: end,
    committed_offset: committed,
    lag: end - committed,
  }));

describe("Burrow's rules", () => {
  it('OK when the consumer caught up once in the window', () => {
    expect(
      evaluateLag(
        series([
          [10, 10],
          [20, 12],
          [30, 15],
        ]),
      ).status,
    ).toBe('OK');
  });

  it('STALL when messages arrive and the committed offset never moves', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [20, 5],
          [30, 5],
          [40, 5],
        ]),
      ).status,
    ).toBe('STALL');
  });

  it('no verdict while the samples span less than an auto-commit interval or two', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [20, 5],
          [30, 5],
        ]),
      ).status,
    ).toBe('UNKNOWN');
  });

  it('STOP when nothing moves and lag remains', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [10, 5],
          [10, 5],
          [10, 5],
        ]),
      ).status,
    ).toBe('STOP');
  });

  it('STOP when the consumer committed, then stopped while messages arrive', () => {
    expect(
      evaluateLag(
        series([
          [10, 2],
          [12, 6],
          [20, 6],
          [30, 6],
          [40, 6],
        ]),
      ).status,
    ).toBe('STOP');
  });

  it('REWIND when the committed offset goes back', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [12, 3],
          [14, 4],
        ]),
      ).status,
    ).toBe('REWIND');
  });

  it('WARN when offsets move but the lag keeps growing', () => {
    const evaluation = evaluateLag(
      series([
        [10, 5],
        [20, 9],
        [30, 14],
        [40, 19],
      ]),
    );
    expect(evaluation).toEqual({ status: 'WARN', lag: 21, growth: 16 });
  });

  it('OK when the lag goes up and down', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [20, 17],
          [30, 22],
          [40, 36],
        ]),
      ).status,
    ).toBe('OK');
  });

  it('UNKNOWN with too few samples', () => {
    expect(
      evaluateLag(
        series([
          [10, 5],
          [20, 9],
        ]),
      ).status,
    ).toBe('UNKNOWN');
    expect(evaluateLag([]).status).toBe('UNKNOWN');
  });

  it('a group is as late as its worst partition', () => {
    expect(worstLagStatus(['OK', 'WARN', 'STALL', 'UNKNOWN'])).toBe('STALL');
    expect(worstLagStatus([])).toBe('OK');
  });
});

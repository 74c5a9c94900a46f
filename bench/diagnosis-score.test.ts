import { describe, expect, it } from 'vitest';
import { falseAlarms, percentile, rankOf, resultLine } from './diagnosis-score.js';

const issue = (id: string, severity: string, ...agents: string[]) => ({
  id,
  kind: id.split(':')[0] ?? '',
  severity,
  affected_components: agents,
});

describe('diagnosis scorecard scoring', () => {
  const items = [
    issue('dead_agent:other', 'critical', 'other'),
    issue('no_consumer:b', 'medium', 'b'),
    issue('delegation_loop:a,b', 'high', 'a', 'b'),
  ];

  it('ranks the right issue among the issues naming the case agents only', () => {
    expect(rankOf(items, { agents: ['a', 'b'], agent: 'a', kinds: ['delegation_loop'] })).toBe(2);
    expect(rankOf(items, { agents: ['a', 'b'], agent: 'a', kinds: ['orphan_answers'] })).toBeUndefined();
  });

  it('counts medium and worse issues of the healthy agents as false alarms', () => {
    expect(falseAlarms([...items, issue('x:b', 'low', 'b')], ['b']).map((i) => i.id)).toEqual([
      'no_consumer:b',
      'delegation_loop:a,b',
    ]);
  });

  it('summarizes with undetected cases at the full wait', () => {
    expect(percentile([1, 2, 3, 4], 0.95)).toBe(4);
    const line = resultLine(
      [
        { run: 'alone', scenario: 's1', detectS: 2.5, rank: 1, top: '' },
        { run: 'alone', scenario: 's2', detectS: undefined, rank: undefined, top: '' },
      ],
      0,
      60,
    );
    expect(line).toBe('RESULT scenarios=2 detected=1 top1=1 detect_p95_s=60.0 false_alarms=0');
  });
});

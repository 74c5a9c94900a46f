/**
 * Scoring of the diagnosis scorecard, pure: where the right issue ranks among the issues that name
 * a case's agents, and the summary line.
 */

export interface IssueView {
  id: string;
  kind: string;
  severity: string;
  affected_components: readonly string[];
}

export interface CaseExpectation {
  /** Every agent of the case. */
  agents: readonly string[];
  /** The agent the right issue must name, and its possible kinds. */
  agent: string;
  kinds: readonly string[];
}

/** The issues (in report order) that name any agent of the case. */
export function issuesOfCase(items: readonly IssueView[], agents: readonly string[]): IssueView[] {
  return items.filter((i) => i.affected_components.some((a) => agents.includes(a)));
}

/** 1-based rank of the right issue among the case's issues, or undefined when it is not reported. */
export function rankOf(items: readonly IssueView[], c: CaseExpectation): number | undefined {
  const mine = issuesOfCase(items, c.agents);
  const at = mine.findIndex((i) => c.kinds.includes(i.kind) && i.affected_components.includes(c.agent));
  return at < 0 ? undefined : at + 1;
}

/** Issues of a healthy run's agents that count as false alarms (low and info are notes, not alarms). */
export function falseAlarms(items: readonly IssueView[], agents: readonly string[]): IssueView[] {
  return issuesOfCase(items, agents).filter((i) => ['critical', 'high', 'medium'].includes(i.severity));
}

export interface CaseResult {
  run: string;
  scenario: string;
  /** Seconds from onset to the first report of the right issue; undefined when never reported. */
  detectS: number | undefined;
  /** Rank at the end of the observation (undefined: not reported then). */
  rank: number | undefined;
  top: string;
}

/** Nearest-rank percentile of `values` (p in 0..1); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

/** The machine-readable last line. Undetected cases count as the observation's full length. */
export function resultLine(
  results: readonly CaseResult[],
  falseAlarmCount: number,
  maxWaitS: number,
): string {
  const detected = results.filter((r) => r.detectS !== undefined);
  const top1 = results.filter((r) => r.rank === 1).length;
  const times = results.map((r) => r.detectS ?? maxWaitS);
  return `RESULT scenarios=${results.length} detected=${detected.length} top1=${top1} detect_p95_s=${percentile(times, 0.95).toFixed(1)} false_alarms=${falseAlarmCount}`;
}

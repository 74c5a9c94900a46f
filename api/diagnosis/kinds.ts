import { z } from 'zod';
import { CAUSES } from './rank.js';
import type { DiagnosisReport } from './diagnose.js';
import { suggestionsForKind } from './suggestions.js';
import { IssueKind } from './types.js';

/** The issue kinds the diagnosis reports, with when each is found: `GET /api/v1/claude/diagnose/kinds`. */

const FOUND_WHEN: Readonly<Record<IssueKind, string>> = {
  dead_agent:
    'no heartbeat within the timeout, or for longer than its own beats allow, while work waits for the agent',
  silent_agent: 'tasks sent to an agent that never sent a heartbeat nor answered',
  consumer_group_empty:
    "the agent's consumer group consumed before and has no member now, with messages waiting (lost its consumer)",
  no_consumer:
    "nothing ever consumed the agent's queue and the agent was never seen alive (never had a consumer)",
  consumer_lag: "Burrow's rules over the lag samples: WARN, STALL, STOP, REWIND",
  llm_rate_limit: 'calls answered rate_limited, HTTP 429 errors, or usage near the configured TPM/RPM',
  timeouts: 'timeout errors the agent ran into itself, or LLM calls that timed out',
  slow_agent: "p95 task latency several times the other agents' or its own baseline",
  retry_storm: 'many attempts of one task, of one retried error group, or re-sent tasks in one trace',
  cascading_failure: 'errors of several agents in one trace, named after the agent that failed first',
  stuck_tasks: "pending beyond the priority's threshold, or a task its requester gave up on",
  dlq_growth: 'undecodable messages dead-lettered from a queue',
  critical_errors: 'any critical error',
  error_spike: 'error rate several times the baseline',
  new_error_group: 'an error fingerprint first seen in the window',
  delegation_loop: 'tasks with the same goal going round A→B→…→A within one trace or job',
  delegation_too_deep: 'a chain of delegations in one trace longer than the depth limit',
  orphan_answers: 'RESULT/ERROR messages whose task was never seen on any queue, after a grace period',
  duplicate_answers: 'tasks answered more than once with distinct message ids',
  expired_tasks: 'tasks whose TTL ran out before any answer',
  missed_deadlines: 'tasks answered after their deadline, or still open past it',
  latency_regression: "an agent's recent p95 task latency several times its own baseline",
  error_rate_regression: "an agent's recent share of ERROR answers well above its own baseline",
  throughput_drop: 'an agent answering far fewer tasks than its own pace while tasks keep arriving',
  llm_cost_regression: "an agent's token or cost rate on a model several times its own baseline",
  queue_wait:
    "an agent's tasks wait in its queue (sent → started) several times longer than the work on them takes (started → answered)",
  llm_bound: "most of an agent's working time goes to its LLM calls",
};

export const DiagnosisKindSchema = z.object({
  kind: z.string(),
  found_when: z.string(),
  cause: z.boolean().describe('a cause kind: the symptoms of the same agents rank right after it'),
  suggested_actions: z.array(z.string()),
});
export type DiagnosisKind = z.infer<typeof DiagnosisKindSchema>;

export const DiagnosisKindsSchema = z.object({ kinds: z.array(DiagnosisKindSchema) });

export const ISSUE_KINDS = Object.values(IssueKind) as [IssueKind, ...IssueKind[]];

/** Every kind with when it is found and what to do (with `{agent}` left as "the agent"). */
export function diagnosisKinds(): DiagnosisKind[] {
  return ISSUE_KINDS.map((kind) => ({
    kind,
    found_when: FOUND_WHEN[kind],
    cause: CAUSES.has(kind),
    suggested_actions: suggestionsForKind(kind).map((s) => s.action),
  }));
}

const isKind = (value: string): value is IssueKind => (ISSUE_KINDS as readonly string[]).includes(value);

/** `kind=a,b`: issue kinds to keep; absent or empty keeps all. */
export const kindsParam: z.ZodType<IssueKind[], string | undefined> = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const list = (value ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    const unknown = list.filter((k) => !isKind(k));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown kind ${unknown.join(', ')}; must be among ${ISSUE_KINDS.join(', ')}`,
      });
      return z.NEVER;
    }
    return list.filter(isKind);
  });

/**
 * The report with only the issues of `kinds` (all when empty), keeping their ranks; the status,
 * health score and counts stay those of the whole system.
 */
export function withKinds(report: DiagnosisReport, kinds: readonly string[]): DiagnosisReport {
  if (kinds.length === 0) return report;
  return {
    ...report,
    issues: { ...report.issues, items: report.issues.items.filter((i) => kinds.includes(i.kind)) },
  };
}

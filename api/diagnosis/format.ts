import type { DiagnosisReport, IssueCounts, SuggestedAction } from './diagnose.js';

/** The short and the LLM-prompt forms of a diagnosis. */

export interface DiagnosisSummary {
  format: 'summary';
  system_status: string;
  health_score: number;
  system_summary: string;
  issue_counts: IssueCounts;
  error_rate: number;
  any_rate_limited: boolean;
  top_issues: { id: string; severity: string; title: string; affected_components: string[] }[];
  suggested_actions: SuggestedAction[];
}

export function toSummary(report: DiagnosisReport): DiagnosisSummary {
  return {
    format: 'summary',
    system_status: report.metadata.system_status,
    health_score: report.health_score,
    system_summary: report.system_summary,
    issue_counts: report.issues.counts,
    error_rate: report.errors.error_rate,
    any_rate_limited: report.rate_limits.any_rate_limited,
    top_issues: report.issues.items.slice(0, 5).map((i) => ({
      id: i.id,
      severity: i.severity,
      title: i.title,
      affected_components: i.affected_components,
    })),
    suggested_actions: report.suggested_actions.slice(0, 5),
  };
}

export interface DiagnosisPrompt {
  format: 'prompt';
  content: string;
  /** Estimated at four characters a token. */
  estimated_tokens: number;
  max_tokens: number;
  /** Whether anything was left out to fit the budget. */
  truncated: boolean;
}

export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

interface Block {
  /** Lines kept whatever the budget. */
  head: string[];
  /** Lines dropped first, from the last block backwards. */
  detail: string[];
}

const evidenceLine = (key: string, value: unknown): string =>
  `    ${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`;

/**
 * A compact text bundle for an LLM within `maxTokens`. When it does not fit, the evidence of the
 * lowest-ranked issue goes first, then that of the next one up, then the context sections (slow
 * traces, recent errors), then whole issues from the bottom; the header and the top issue stay.
 */
export function toPrompt(report: DiagnosisReport, maxTokens: number): DiagnosisPrompt {
  const m = report.metadata;
  const header = [
    `# Multi-agent system diagnosis (${m.window_start} to ${m.window_end}, ${m.time_window_minutes} min)`,
    `Status: ${m.system_status}; health ${m.health_score}/100; ${report.errors.total} errors (${report.errors.error_rate}/min); rate limited: ${report.rate_limits.any_rate_limited ? 'yes' : 'no'}.`,
    report.system_summary,
    ...m.data_gaps.map((gap) => `Data gap: ${gap}`),
  ];
  const issues: Block[] = report.issues.items.map((item) => ({
    head: [
      `${item.rank}. [${item.severity}] ${item.title} (id ${item.id}, category ${item.category}${item.explained_by === null ? '' : `, follows from ${item.explained_by}`})`,
      `   ${item.description}`,
      ...item.suggested_actions.slice(0, 1).map((a) => `   Fix: ${a.action}`),
    ],
    detail: [
      ...Object.entries(item.evidence).map(([k, v]) => evidenceLine(k, v)),
      ...(item.related_trace_ids.length > 0
        ? [`    traces: ${item.related_trace_ids.slice(0, 5).join(', ')}`]
        : []),
      ...item.suggested_actions.slice(1).map((a) => `   Also: ${a.action}`),
    ],
  }));
  const context: Block[] = [
    {
      head: report.slow_traces.length > 0 ? ['## Slowest traces'] : [],
      detail: report.slow_traces.map(
        (t) => `- ${t.trace_id}: ${t.duration_ms} ms, ${t.messages} messages, agents ${t.agents.join(', ')}`,
      ),
    },
    {
      head: report.errors.recent.length > 0 ? ['## Recent errors'] : [],
      detail: report.errors.recent.map(
        (e) =>
          `- ${e.timestamp} ${e.agent_name} ${e.severity} ${e.category} ${e.error_type}: ${e.error_message.slice(0, 160)} (trace ${e.trace_id || '-'})`,
      ),
    },
  ];
  const render = (shownIssues: readonly Block[], omitted: number): string =>
    [
      ...header,
      '',
      shownIssues.length === 0 && omitted === 0 ? 'No issues detected.' : '## Issues (top first)',
      ...shownIssues.flatMap((b) => [...b.head, ...b.detail]),
      ...(omitted > 0 ? [`… ${omitted} lower-ranked issue(s) omitted`] : []),
      ...context.flatMap((b) => (b.head.length === 0 ? [] : ['', ...b.head, ...b.detail])),
    ].join('\n');

  const budget = maxTokens * 4;
  let shown = issues.map((b) => ({ head: b.head, detail: [...b.detail] }));
  let omitted = 0;
  let text = render(shown, omitted);
  let truncated = false;
  // 1. evidence, lowest-ranked issue first
  for (let i = shown.length - 1; i >= 0 && text.length > budget; i--) {
    const block = shown[i];
    while (block !== undefined && block.detail.length > 0 && text.length > budget) {
      block.detail.pop();
      truncated = true;
      text = render(shown, omitted);
    }
  }
  // 2. context lines, from the end
  for (let c = context.length - 1; c >= 0 && text.length > budget; c--) {
    const block = context[c];
    while (block !== undefined && block.detail.length > 0 && text.length > budget) {
      block.detail.pop();
      if (block.detail.length === 0) block.head = [];
      truncated = true;
      text = render(shown, omitted);
    }
  }
  // 3. whole issues from the bottom, keeping the top one
  while (shown.length > 1 && text.length > budget) {
    shown = shown.slice(0, -1);
    omitted += 1;
    truncated = true;
    text = render(shown, omitted);
  }
  if (text.length > budget) {
    text = `${text.slice(0, Math.max(0, budget - 1))}…`;
    truncated = true;
  }
  return {
    format: 'prompt',
    content: text,
    estimated_tokens: estimateTokens(text),
    max_tokens: maxTokens,
    truncated,
  };
}

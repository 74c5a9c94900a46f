import type { AlertRecord } from './state.js';

/** How a webhook wants its body: the generic JSON, or Slack's incoming-webhook shape. */
export type WebhookFormat = 'json' | 'slack';

export interface Webhook {
  /** Stable across restarts and reorderings: the format and a hash of the URL. */
  id: string;
  url: string;
  format: WebhookFormat;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/** The generic body: one event per state change, with the issue as the diagnosis described it. */
export function jsonBody(record: AlertRecord, system: string, nowMs: number): Record<string, unknown> {
  return {
    event: record.state === 'open' ? 'alert.opened' : 'alert.resolved',
    system,
    sent_at: new Date(nowMs).toISOString(),
    alert: {
      issue_id: record.issue_id,
      state: record.state,
      severity: record.issue.severity,
      kind: record.issue.kind,
      title: record.issue.title,
      description: record.issue.description,
      affected_components: record.issue.affected_components,
      suggested_actions: record.issue.suggested_actions,
      related_trace_ids: record.issue.related_trace_ids,
      opened_at: iso(record.opened_at_ms),
      resolved_at: iso(record.resolved_at_ms),
    },
  };
}

const SEVERITY_ICON: Readonly<Record<string, string>> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  info: ':white_circle:',
};

/** Slack's mrkdwn needs &, < and > escaped. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack incoming-webhook body: `text` (the notification line) and Block Kit `blocks`. */
export function slackBody(record: AlertRecord, system: string): Record<string, unknown> {
  const issue = record.issue;
  const resolved = record.state === 'resolved';
  const icon = resolved ? ':white_check_mark:' : (SEVERITY_ICON[issue.severity] ?? ':warning:');
  const headline = `${icon} ${resolved ? 'Resolved' : issue.severity.toUpperCase()}: ${escapeSlack(issue.title)}`;
  const actions = issue.suggested_actions.slice(0, 3).map((a) => `• ${escapeSlack(a)}`);
  return {
    text: `${headline} (${system})`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${headline}*\n${escapeSlack(issue.description).slice(0, 2_500)}` },
      },
      ...(actions.length > 0 && !resolved
        ? [{ type: 'section', text: { type: 'mrkdwn', text: `*What to do*\n${actions.join('\n')}` } }]
        : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: escapeSlack(
              [
                `issue ${record.issue_id}`,
                `system ${system}`,
                issue.affected_components.length > 0
                  ? `affects ${issue.affected_components.slice(0, 5).join(', ')}`
                  : '',
                `opened ${iso(record.opened_at_ms) ?? ''}`,
                resolved ? `resolved ${iso(record.resolved_at_ms) ?? ''}` : '',
              ]
                .filter((part) => part !== '')
                .join(' · '),
            ),
          },
        ],
      },
    ],
  };
}

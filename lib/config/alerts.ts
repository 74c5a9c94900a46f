import { z } from 'zod';
import { csv, defineSlice, positiveInt } from './slice.js';

/** Diagnosis severities, highest first (api/diagnosis `IssueSeverity`). */
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

const urls = () => z.string().default('').transform(csv).pipe(z.array(z.url()));

/** The alert notifier: where notifications go, what is worth one, and how often. */
export const alertsSlice = defineSlice({
  name: 'alerts',
  title: 'Alerts',
  summary: 'Read by `agent-telemetry alerts`; see docs/alerts.md.',
  variables: {
    ALERT_WEBHOOK_URLS: urls().describe('comma-separated webhooks sent the generic JSON body'),
    ALERT_SLACK_WEBHOOK_URLS: urls().describe(
      'comma-separated webhooks sent the Slack-compatible body (`text` + `blocks`)',
    ),
    ALERT_MIN_SEVERITY: z
      .enum(ALERT_SEVERITIES)
      .default('high')
      .describe('issues at or above this severity are alerted'),
    ALERT_INTERVAL_MS: positiveInt(30_000, 3_600_000).describe('how often the diagnosis is evaluated'),
    ALERT_WINDOW_MINUTES: positiveInt(15, 60).describe('the diagnosis window, in minutes'),
    ALERT_MAX_PER_MINUTE: positiveInt(20, 10_000).describe(
      'notifications per webhook per minute; the rest wait for the next evaluation',
    ),
    ALERT_TIMEOUT_MS: positiveInt(5_000, 120_000).describe("one webhook request's timeout"),
  },
  build: (e) => ({
    webhookUrls: e.ALERT_WEBHOOK_URLS,
    slackWebhookUrls: e.ALERT_SLACK_WEBHOOK_URLS,
    minSeverity: e.ALERT_MIN_SEVERITY,
    intervalMs: e.ALERT_INTERVAL_MS,
    windowMinutes: e.ALERT_WINDOW_MINUTES,
    maxPerMinute: e.ALERT_MAX_PER_MINUTE,
    timeoutMs: e.ALERT_TIMEOUT_MS,
  }),
});

export type AlertsConfig = z.output<typeof alertsSlice.schema>;

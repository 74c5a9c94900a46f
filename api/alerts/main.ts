import { clickHouseAccess, createClickHouseClient } from '../../lib/clickhouse.js';
import type { Config } from '../../lib/config.js';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';
import type { Lifecycle } from '../../lib/lifecycle.js';
import type { Logger } from '../../lib/logger.js';
import type { DiagnosisReport } from '../diagnosis/diagnose.js';
import { diagnoseFor } from '../diagnosis/module.js';
import { openApiInProcess } from '../mcp/main.js';
import { AlertNotifier, httpSend, webhooksOf } from './notifier.js';
import { atLeast, type AlertIssue, type AlertSeverity } from './state.js';
import { clickHouseAlertStore } from './store.js';

/** The issues of a diagnosis report at or above `minimum`, as alerts describe them. */
export function alertIssues(report: DiagnosisReport, minimum: AlertSeverity): AlertIssue[] {
  return report.issues.items
    .filter((item) => atLeast(item.severity, minimum))
    .map((item) => ({
      id: item.id,
      kind: item.kind,
      severity: item.severity,
      title: item.title,
      description: item.description,
      affected_components: item.affected_components,
      suggested_actions: item.suggested_actions.map((a) => a.action),
      related_trace_ids: item.related_trace_ids,
    }));
}

/**
 * `agent-telemetry alerts`: the notifier in a process of its own (one replica), so that the API stays
 * stateless and scales out without sending each alert once per replica. It reads the diagnosis as the
 * API does (read-only user) and keeps its alerts in `alert_state` as the writer user.
 */
export async function startAlerts(
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
): Promise<AlertNotifier> {
  const webhooks = webhooksOf(config.alerts);
  if (webhooks.length === 0) {
    throw new TelemetryError(
      ErrorCode.CONFIG_INVALID,
      'agent-telemetry alerts needs a webhook: set ALERT_WEBHOOK_URLS (generic JSON) or ALERT_SLACK_WEBHOOK_URLS (Slack)',
    );
  }
  const api = await openApiInProcess(config, logger, lifecycle);
  const writerClient = createClickHouseClient(config, { requestTimeoutMs: 15_000 });
  lifecycle.add('alerts-clickhouse', () => writerClient.close());
  const now = Date.now;
  const notifier = new AlertNotifier({
    store: clickHouseAlertStore(
      api.context.reader,
      clickHouseAccess(writerClient, { encoding: 'json' }),
      now,
    ),
    issues: async () =>
      alertIssues(await diagnoseFor(api.context, config.alerts.windowMinutes), config.alerts.minSeverity),
    webhooks,
    send: httpSend(config.alerts.timeoutMs, logger),
    logger: logger.child({ part: 'alerts' }),
    now,
    maxPerMinute: config.alerts.maxPerMinute,
    system: config.oracle.systemId,
  });
  lifecycle.add('alerts', () => notifier.stop());
  notifier.start(config.alerts.intervalMs);
  logger.info(
    {
      webhooks: webhooks.map((w) => w.id),
      minSeverity: config.alerts.minSeverity,
      intervalMs: config.alerts.intervalMs,
      windowMinutes: config.alerts.windowMinutes,
    },
    'alert notifier running',
  );
  return notifier;
}

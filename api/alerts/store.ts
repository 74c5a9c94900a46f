import type { ClickHouseReader, ClickHouseWriter } from '../../lib/clickhouse.js';
import { insertAlertState, queryLiveAlerts, type AlertStateRow } from '../../lib/tables/alert-state.js';
import type { AlertStore } from './notifier.js';
import type { AlertIssue, AlertRecord, AlertState } from './state.js';

/** Resolved alerts older than this are not loaded again (their webhooks were told, or never will be). */
const KEEP_RESOLVED_MS = 7 * 24 * 3_600_000;

function toRow(record: AlertRecord): AlertStateRow {
  return {
    issue_id: record.issue_id,
    state: record.state,
    severity: record.issue.severity,
    title: record.issue.title,
    issue: JSON.stringify(record.issue),
    opened_at_ms: record.opened_at_ms,
    resolved_at_ms: record.resolved_at_ms,
    delivered: JSON.stringify(record.delivered),
    attempts: record.attempts,
    next_attempt_ms: record.next_attempt_ms,
    updated_at_ms: record.updated_at_ms,
  };
}

function toRecord(row: AlertStateRow): AlertRecord {
  return {
    issue_id: row.issue_id,
    state: row.state === 'open' ? 'open' : 'resolved',
    issue: JSON.parse(row.issue) as AlertIssue,
    opened_at_ms: row.opened_at_ms,
    resolved_at_ms: row.resolved_at_ms,
    delivered: JSON.parse(row.delivered) as Record<string, AlertState>,
    attempts: row.attempts,
    next_attempt_ms: row.next_attempt_ms,
    updated_at_ms: row.updated_at_ms,
  };
}

/**
 * Alerts in ClickHouse (`alert_state`, migration 0009), one version per change, the latest read back
 * with FINAL: the notifier's memory across restarts and reschedules, with no volume to mount, and
 * readable with SQL next to the issues it alerts on.
 */
export function clickHouseAlertStore(
  reader: ClickHouseReader,
  writer: ClickHouseWriter,
  now: () => number,
): AlertStore {
  return {
    async load() {
      const rows = await queryLiveAlerts(reader, { sinceMs: now() - KEEP_RESOLVED_MS });
      return rows.map(toRecord);
    },
    save: (records) => insertAlertState(writer, records.map(toRow)),
  };
}

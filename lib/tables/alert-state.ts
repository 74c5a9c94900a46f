import type { ClickHouseReader, ClickHouseWriter } from '../clickhouse.js';

/** `alert_state` (migration 0009): the alert notifier's open and resolved alerts, latest version wins. */
export const ALERT_STATE = 'alert_state';

export interface AlertStateRow {
  /** The diagnosis issue the alert is about. */
  issue_id: string;
  /** `open` or `resolved`. */
  state: string;
  /** The issue's severity: `critical`, `high`, `medium`, `low` or `info`. */
  severity: string;
  /** The issue's title. */
  title: string;
  /** JSON text of the issue as last seen. */
  issue: string;
  /** When the alert opened (epoch ms). */
  opened_at_ms: number;
  /** 0 while open. */
  resolved_at_ms: number;
  /** JSON text `{webhook id: "open" | "resolved"}`: what each webhook was last told. */
  delivered: string;
  /** Failed delivery attempts since the last success. */
  attempts: number;
  /** When a failed delivery is tried again (epoch ms); 0 when nothing is waiting to be retried. */
  next_attempt_ms: number;
  /** When this version was written (epoch ms); the version that deduplication keeps the greatest of. */
  updated_at_ms: number;
}

export const ALERT_STATE_COLUMNS = [
  'issue_id',
  'state',
  'severity',
  'title',
  'issue',
  'opened_at_ms',
  'resolved_at_ms',
  'delivered',
  'attempts',
  'next_attempt_ms',
  'updated_at_ms',
] as const satisfies readonly (keyof AlertStateRow)[];

export function insertAlertState(writer: ClickHouseWriter, rows: readonly AlertStateRow[]): Promise<void> {
  return writer.insert(ALERT_STATE, rows);
}

/**
 * The alerts that still matter: open ones, and resolved ones some webhook has not been told about
 * (or resolved within `keepResolvedMs`, so that a resolve is not followed by a fresh open of the same
 * flapping issue without the rate limit seeing it).
 */
export async function queryLiveAlerts(
  reader: ClickHouseReader,
  options: { sinceMs: number },
): Promise<AlertStateRow[]> {
  type Raw = Omit<AlertStateRow, 'opened_at_ms' | 'resolved_at_ms' | 'next_attempt_ms' | 'updated_at_ms'> &
    Record<'opened_at_ms' | 'resolved_at_ms' | 'next_attempt_ms' | 'updated_at_ms', number | string>;
  const rows = await reader.query<Raw>(
    `SELECT ${ALERT_STATE_COLUMNS.join(', ')} FROM ${ALERT_STATE} FINAL ` +
      `WHERE state = 'open' OR resolved_at_ms >= ${Math.trunc(options.sinceMs)} OR updated_at_ms >= ${Math.trunc(options.sinceMs)} ` +
      'ORDER BY issue_id',
  );
  return rows.map((row) => ({
    ...row,
    opened_at_ms: Number(row.opened_at_ms),
    resolved_at_ms: Number(row.resolved_at_ms),
    next_attempt_ms: Number(row.next_attempt_ms),
    updated_at_ms: Number(row.updated_at_ms),
  }));
}

import { createHash } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { jsonBody, slackBody, type Webhook, type WebhookFormat } from './bodies.js';
import {
  evaluateAlerts,
  retryDelayMs,
  settled,
  severityRank,
  versionAfter,
  type AlertIssue,
  type AlertRecord,
} from './state.js';

/** Where the alerts are kept between evaluations and across restarts. */
export interface AlertStore {
  load(): Promise<AlertRecord[]>;
  save(records: readonly AlertRecord[]): Promise<void>;
}

/** What a webhook answered: an HTTP status, or 0 when it could not be reached. */
export type Send = (webhook: Webhook, body: unknown) => Promise<number>;

export interface NotifierOptions {
  store: AlertStore;
  /** The issues at or above the alert severity now; throws when the diagnosis cannot run. */
  issues: () => Promise<AlertIssue[]>;
  webhooks: readonly Webhook[];
  send: Send;
  logger: Logger;
  now: () => number;
  /** Notifications per webhook per minute; the rest wait for a later evaluation. */
  maxPerMinute: number;
  /** Named in every body. */
  system: string;
}

export interface TickReport {
  opened: string[];
  resolved: string[];
  /** `<webhook id> <issue id> <state>` of each notification accepted (2xx). */
  sent: string[];
  /** Notifications that failed (5xx, 429, unreachable) and will be retried. */
  failed: number;
  /** Notifications held back by the rate limit. */
  deferred: number;
  /** Notifications a webhook refused for good (4xx other than 429): logged and not retried. */
  dropped: number;
}

export function webhookId(format: WebhookFormat, url: string): string {
  return `${format}:${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

export function webhooksOf(config: {
  webhookUrls: readonly string[];
  slackWebhookUrls: readonly string[];
}): Webhook[] {
  return [
    ...config.webhookUrls.map((url) => ({ id: webhookId('json', url), url, format: 'json' as const })),
    ...config.slackWebhookUrls.map((url) => ({ id: webhookId('slack', url), url, format: 'slack' as const })),
  ];
}

/** POSTs JSON with a timeout; the answer's status, or 0 when the webhook could not be reached. */
export function httpSend(timeoutMs: number, logger: Logger): Send {
  return async (webhook, body) => {
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'agent-telemetry-alerts' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      logger.warn({ err: error, webhook: webhook.id }, 'webhook not reachable');
      return 0;
    }
  };
}

const retryable = (status: number): boolean => status === 0 || status === 429 || status >= 500;

/**
 * The alert state machine over time: each `tick()` evaluates the diagnosis, opens and resolves
 * alerts by issue id, saves what changed, then tells each webhook what it has not been told yet,
 * most severe first, within its rate limit, backing off after failures. State is loaded from the
 * store on the first tick, so a restarted notifier neither repeats nor forgets a notification. A
 * diagnosis that fails changes nothing (an outage never resolves every alert).
 */
export class AlertNotifier {
  readonly #o: NotifierOptions;
  #records: Map<string, AlertRecord> | undefined;
  /** Per webhook, when its recent notifications were sent (the last minute's). */
  readonly #sentAt = new Map<string, number[]>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<TickReport | undefined> | undefined;
  #stopped = false;

  constructor(options: NotifierOptions) {
    this.#o = options;
  }

  /** Open and undelivered alerts as held now (after the first tick). */
  get records(): readonly AlertRecord[] {
    return [...(this.#records?.values() ?? [])];
  }

  async tick(): Promise<TickReport> {
    const now = this.#o.now();
    const records = (this.#records ??= new Map((await this.#o.store.load()).map((r) => [r.issue_id, r])));
    const issues = await this.#o.issues();
    const changed = evaluateAlerts(records, issues, now);
    const report: TickReport = {
      opened: changed.filter((r) => r.state === 'open' && r.opened_at_ms === now).map((r) => r.issue_id),
      resolved: changed.filter((r) => r.state === 'resolved').map((r) => r.issue_id),
      sent: [],
      failed: 0,
      deferred: 0,
      dropped: 0,
    };
    if (changed.length > 0) await this.#o.store.save(changed);
    await this.#deliver(records, now, report);
    // what is resolved and settled everywhere needs no memory beyond the store
    for (const record of [...records.values()]) {
      if (record.state === 'resolved' && this.#o.webhooks.every((w) => settled(record, w.id))) {
        records.delete(record.issue_id);
      }
    }
    return report;
  }

  async #deliver(records: Map<string, AlertRecord>, now: number, report: TickReport): Promise<void> {
    const due = [...records.values()]
      .filter((r) => r.next_attempt_ms <= now && this.#o.webhooks.some((w) => !settled(r, w.id)))
      .sort(
        (a, b) =>
          severityRank(a.issue.severity) - severityRank(b.issue.severity) ||
          a.updated_at_ms - b.updated_at_ms,
      );
    const changed: AlertRecord[] = [];
    for (const record of due) {
      let next = record;
      let failed = false;
      for (const webhook of this.#o.webhooks) {
        if (settled(next, webhook.id)) continue;
        if (!this.#take(webhook.id, now)) {
          report.deferred += 1;
          continue;
        }
        const body =
          webhook.format === 'slack' ? slackBody(next, this.#o.system) : jsonBody(next, this.#o.system, now);
        const status = await this.#o.send(webhook, body);
        if (status >= 200 && status < 300) {
          next = { ...next, delivered: { ...next.delivered, [webhook.id]: next.state } };
          report.sent.push(`${webhook.id} ${next.issue_id} ${next.state}`);
        } else if (retryable(status)) {
          failed = true;
          report.failed += 1;
          this.#o.logger.warn(
            { webhook: webhook.id, issue: next.issue_id, status },
            'alert not delivered: retrying later',
          );
        } else {
          next = { ...next, delivered: { ...next.delivered, [webhook.id]: next.state } };
          report.dropped += 1;
          this.#o.logger.error(
            { webhook: webhook.id, issue: next.issue_id, status },
            'webhook refused the alert (not retried): check its URL and format',
          );
        }
      }
      if (failed) {
        const attempts = next.attempts + 1;
        next = { ...next, attempts, next_attempt_ms: now + retryDelayMs(attempts) };
      } else if (next.attempts > 0) {
        next = { ...next, attempts: 0, next_attempt_ms: 0 };
      }
      if (next !== record) {
        next = { ...next, updated_at_ms: versionAfter(record, now) };
        records.set(next.issue_id, next);
        changed.push(next);
      }
    }
    if (changed.length > 0) await this.#o.store.save(changed);
  }

  /** Takes one notification from the webhook's budget for the minute, if any is left. */
  #take(webhook: string, now: number): boolean {
    const recent = (this.#sentAt.get(webhook) ?? []).filter((at) => at > now - 60_000);
    this.#sentAt.set(webhook, recent);
    if (recent.length >= this.#o.maxPerMinute) return false;
    recent.push(now);
    return true;
  }

  /** Ticks every `intervalMs` (the first at once), one at a time; a failed tick is logged and the next one tries again. */
  start(intervalMs: number): void {
    const run = (): void => {
      if (this.#stopped) return;
      this.#ticking = this.tick()
        .then((report) => {
          if (report.opened.length + report.resolved.length + report.sent.length + report.failed > 0) {
            this.#o.logger.info(report, 'alerts evaluated');
          }
          return report;
        })
        .catch((error: unknown) => {
          this.#o.logger.warn(
            { err: error },
            'alert evaluation failed: nothing changed, trying again next interval',
          );
          return undefined;
        })
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(run, intervalMs);
        });
    };
    run();
  }

  /** Stops ticking and waits for the tick in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }
}

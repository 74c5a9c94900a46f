import { randomUUID } from 'node:crypto';
import type { ClickHouseReader, ClickHouseWriter } from '../../lib/clickhouse.js';
import type { Logger } from '../../lib/logger.js';
import {
  ActionOutcome,
  insertActionLog,
  queryActionRows,
  type ActionChannel,
  type ActionKind,
  type ActionLogRow,
} from '../../lib/tables/action-log.js';
import { HttpError } from '../http/http-error.js';
import { actionId } from './action-id.js';

/** Who asks, through what, and the caller's idempotency key (empty: the action's natural identity). */
export interface ActionCaller {
  actor: string;
  channel: ActionChannel;
  client: string;
  idempotencyKey: string;
}

/** The answer to an action request, as REST, GraphQL, MCP and the CLI show it. */
export interface ActionResult {
  action_id: string;
  request_id: string;
  action: ActionKind;
  target: string;
  /** `done`, `duplicate` (done earlier: nothing produced now), `refused` or `failed`. */
  outcome: ActionOutcome;
  produced: number;
  detail: Record<string, unknown>;
  at: string;
}

/** A request the target's state forbids (answered 409), audited as `refused`. */
export class Refused extends Error {}

/** What an action did: messages produced, and what to show of it. */
export interface Work {
  produced: number;
  detail: Record<string, unknown>;
}

export interface AuditedRunnerOptions {
  /** Reads `action_log` (the API's read-only user). */
  reader: ClickHouseReader;
  /** Writes `action_log` (the writer user). */
  audit: ClickHouseWriter;
  logger: Logger;
  now: () => number;
}

/**
 * Runs actions audited and idempotent: the action id derives from the action, its target and the
 * caller's idempotency key; `started` is written before the work and the outcome after it; an action
 * done already is answered `duplicate` without running; one started with no outcome (a crash
 * mid-action) is refused rather than risk doing it twice; identical concurrent requests in one
 * process share one run.
 */
export class AuditedRunner {
  readonly #o: AuditedRunnerOptions;
  readonly #running = new Map<string, Promise<ActionResult>>();

  constructor(options: AuditedRunnerOptions) {
    this.#o = options;
  }

  /** Whether the action was done already (by any earlier request). */
  async isDone(action: ActionKind, target: string, caller: ActionCaller): Promise<boolean> {
    const rows = await queryActionRows(this.#o.reader, actionId(action, target, caller.idempotencyKey));
    return rows.some((r) => r.outcome === ActionOutcome.DONE);
  }

  /** One action: deduplicated, single-flight per process, audited before and after. */
  run(
    action: ActionKind,
    target: string,
    caller: ActionCaller,
    work: (id: string) => Promise<Work>,
  ): Promise<ActionResult> {
    const id = actionId(action, target, caller.idempotencyKey);
    const inFlight = this.#running.get(id);
    if (inFlight !== undefined) {
      return inFlight.then((result) => this.#duplicateOf(result, caller));
    }
    const run = this.#runOnce(id, action, target, caller, work).finally(() => this.#running.delete(id));
    this.#running.set(id, run);
    return run;
  }

  async #duplicateOf(earlier: ActionResult, caller: ActionCaller): Promise<ActionResult> {
    if (earlier.outcome !== ActionOutcome.DONE) return earlier;
    return this.#record(
      earlier.action_id,
      earlier.action,
      earlier.target,
      caller,
      randomUUID(),
      ActionOutcome.DUPLICATE,
      0,
      {
        earlier_request_id: earlier.request_id,
        ...earlier.detail,
      },
    );
  }

  async #runOnce(
    id: string,
    action: ActionKind,
    target: string,
    caller: ActionCaller,
    work: (id: string) => Promise<Work>,
  ): Promise<ActionResult> {
    const requestId = randomUUID();
    const history = await queryActionRows(this.#o.reader, id);
    const done = history.find((r) => r.outcome === ActionOutcome.DONE);
    if (done !== undefined) {
      return this.#record(id, action, target, caller, requestId, ActionOutcome.DUPLICATE, 0, {
        earlier_request_id: done.request_id,
        earlier_at: new Date(done.at_ms).toISOString(),
        ...(JSON.parse(done.detail) as Record<string, unknown>),
      });
    }
    const finished = new Set(
      history.filter((r) => r.outcome !== ActionOutcome.STARTED).map((r) => r.request_id),
    );
    const interrupted = history.find(
      (r) => r.outcome === ActionOutcome.STARTED && !finished.has(r.request_id),
    );
    if (interrupted !== undefined) {
      return this.#record(id, action, target, caller, requestId, ActionOutcome.REFUSED, 0, {
        reason: `an earlier request (${interrupted.request_id}) started this action and has no outcome: it may have produced; pass a new idempotency key to do it again`,
        status: 409,
      });
    }
    await this.#audit(id, action, target, caller, requestId, ActionOutcome.STARTED, 0, {});
    try {
      const result = await work(id);
      return await this.#record(
        id,
        action,
        target,
        caller,
        requestId,
        ActionOutcome.DONE,
        result.produced,
        result.detail,
      );
    } catch (error) {
      if (error instanceof Refused || (error instanceof HttpError && error.status < 500)) {
        const status = error instanceof HttpError ? error.status : 409;
        return this.#record(id, action, target, caller, requestId, ActionOutcome.REFUSED, 0, {
          reason: error.message,
          status,
        });
      }
      this.#o.logger.warn({ err: error, action, target, actionId: id }, 'action failed');
      await this.#audit(id, action, target, caller, requestId, ActionOutcome.FAILED, 0, {
        reason: error instanceof Error ? error.message : String(error),
      }).catch((auditError: unknown) => {
        this.#o.logger.error({ err: auditError, actionId: id }, 'could not audit a failed action');
      });
      throw error;
    }
  }

  async #record(
    id: string,
    action: ActionKind,
    target: string,
    caller: ActionCaller,
    requestId: string,
    outcome: ActionOutcome,
    produced: number,
    detail: Record<string, unknown>,
  ): Promise<ActionResult> {
    const row = await this.#audit(id, action, target, caller, requestId, outcome, produced, detail);
    return {
      action_id: id,
      request_id: requestId,
      action,
      target,
      outcome,
      produced,
      detail,
      at: new Date(row.at_ms).toISOString(),
    };
  }

  async #audit(
    id: string,
    action: ActionKind,
    target: string,
    caller: ActionCaller,
    requestId: string,
    outcome: ActionOutcome,
    produced: number,
    detail: Record<string, unknown>,
  ): Promise<ActionLogRow> {
    const row: ActionLogRow = {
      request_id: requestId,
      action_id: id,
      action,
      target,
      actor: caller.actor,
      channel: caller.channel,
      client: caller.client,
      idempotency_key: caller.idempotencyKey,
      outcome,
      detail: JSON.stringify(detail),
      produced,
      at_ms: this.#o.now(),
    };
    await insertActionLog(this.#o.audit, [row]);
    return row;
  }
}

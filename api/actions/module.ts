import { z } from 'zod';
import { ActionChannel, ActionKind, queryActionLog, type ActionLogRow } from '../../lib/tables/action-log.js';
import { DEAD_LETTERS } from '../../lib/tables/dead-letters.js';
import { quoteNumber } from '../../lib/sql.js';
import { parseArgs } from '../graphql/args.js';
import { loadSdl } from '../graphql/compose.js';
import { badParameter, HttpError, jsonResponse } from '../http/http-error.js';
import { boolParam, enumParam, idParam, intParam, parseParams, textParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiContext, ApiModuleFactory } from '../module.js';
import type { ActionCaller, ActionResult, ActionsService } from './service.js';

const ACTIONS = Object.values(ActionKind) as [ActionKind, ...ActionKind[]];
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const ACTOR_PATTERN = /^[\x20-\x7e]{1,100}$/;
/** Channels a caller may name in `x-action-channel` (GraphQL is known by its path). */
const HEADER_CHANNELS: readonly string[] = [ActionChannel.REST, ActionChannel.MCP, ActionChannel.CLI];

export const ActionResultSchema = z.object({
  action_id: z.string(),
  request_id: z.string(),
  action: z.enum(ACTIONS),
  target: z.string(),
  outcome: z.string(),
  produced: z.number(),
  detail: z.record(z.string(), z.unknown()),
  at: z.string(),
});
const ReplayResultSchema = z.object({ produced: z.number(), results: z.array(ActionResultSchema) });
const ActionLogSchema = z.object({
  entries: z.array(
    z.object({
      request_id: z.string(),
      action_id: z.string(),
      action: z.string(),
      target: z.string(),
      actor: z.string(),
      channel: z.string(),
      client: z.string(),
      idempotency_key: z.string(),
      outcome: z.string(),
      produced: z.number(),
      detail: z.record(z.string(), z.unknown()),
      at: z.string(),
    }),
  ),
  actions_enabled: z.boolean(),
});
const DeadLetterSchema = z.object({
  letter: z.string(),
  topic: z.string(),
  partition: z.number(),
  offset: z.number(),
  error_code: z.string(),
  reason: z.string(),
  schema_id: z.number(),
  size_bytes: z.number(),
  observed_at: z.string(),
});

const taskQuery = {
  reason: textParam(500).describe('why, carried in the message produced; default `operator request`'),
};
const replayQuery = {
  letters: z
    .string()
    .max(20_000)
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    )
    .optional()
    .describe(
      'the dead letters to replay, as topic/partition/offset, comma-separated (GET /api/v1/dead-letters lists them)',
    ),
  since_minutes: intParam(0, 0, 10_080),
  limit: intParam(20, 1, 100),
  force: boolParam(false),
};
const logQuery = {
  action: enumParam(ACTIONS).describe('only entries of this action'),
  target: textParam(500).describe(
    'only entries for this target: a task id, or one dead letter as topic/partition/offset',
  ),
  since_minutes: intParam(0, 0, 525_600),
  limit: intParam(50, 1, 500),
};
const deadLetterQuery = { since_minutes: intParam(0, 0, 525_600), limit: intParam(50, 1, 500) };

/** The service, or the 403 that says how to turn actions on. */
function service(context: ApiContext): ActionsService {
  if (context.actions === undefined) {
    throw new HttpError(403, context.config.api.actions.refusal ?? 'actions are not served by this process');
  }
  return context.actions;
}

/** The caller as the request's headers name it: `Idempotency-Key`, `X-Actor`, `X-Action-Channel`. */
function callerOf(request: Request, fallbackChannel: ActionChannel): ActionCaller {
  const key = request.headers.get('idempotency-key') ?? '';
  if (key !== '' && !KEY_PATTERN.test(key)) {
    throw badParameter('Idempotency-Key', '1-128 letters, digits, ".", "_", ":" or "-"');
  }
  const actor = request.headers.get('x-actor') ?? 'token-holder';
  if (!ACTOR_PATTERN.test(actor)) throw badParameter('X-Actor', '1-100 printable ASCII characters');
  const channel = request.headers.get('x-action-channel') ?? fallbackChannel;
  if (!HEADER_CHANNELS.includes(channel)) {
    throw badParameter('X-Action-Channel', `one of ${HEADER_CHANNELS.join(', ')}`);
  }
  return {
    actor,
    channel: channel as ActionChannel,
    client: (request.headers.get('user-agent') ?? '').slice(0, 200),
    idempotencyKey: key,
  };
}

/** The caller of a GraphQL mutation: its arguments, checked as the REST headers are. */
function graphqlCaller(args: Readonly<Record<string, unknown>>): ActionCaller {
  const { idempotency_key: key, actor } = parseArgs(
    {
      idempotency_key: z
        .string()
        .regex(KEY_PATTERN, '1-128 letters, digits, ".", "_", ":" or "-"')
        .optional(),
      actor: z.string().regex(ACTOR_PATTERN, '1-100 printable ASCII characters').optional(),
    },
    args,
  );
  return {
    actor: actor ?? 'token-holder',
    channel: ActionChannel.GRAPHQL,
    client: 'graphql',
    idempotencyKey: key ?? '',
  };
}

/** A refused action is a 409 (404 for an unknown task), with the result as the body. */
function answer(result: ActionResult): Response {
  const status = result.outcome === 'refused' ? Number(result.detail.status ?? 409) : 200;
  return jsonResponse(result, status);
}

function logEntry(row: ActionLogRow): Record<string, unknown> {
  let detail: Record<string, unknown>;
  try {
    detail = JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    detail = { text: row.detail };
  }
  const { at_ms: atMs, ...rest } = row;
  return { ...rest, detail, at: new Date(atMs).toISOString() };
}

async function actionLog(
  context: ApiContext,
  query: {
    action?: ActionKind | undefined;
    target?: string | undefined;
    since_minutes: number;
    limit: number;
  },
) {
  const rows = await queryActionLog(context.reader, {
    action: query.action,
    target: query.target,
    sinceMs: query.since_minutes === 0 ? undefined : context.now() - query.since_minutes * 60_000,
    limit: query.limit,
  });
  return rows.map(logEntry);
}

async function deadLetters(context: ApiContext, query: { since_minutes: number; limit: number }) {
  const since =
    query.since_minutes === 0
      ? ''
      : `WHERE observed_at_ms >= ${quoteNumber(context.now() - query.since_minutes * 60_000)}`;
  const rows = await context.reader.query<{
    topic: string;
    partition: number;
    offset: string;
    error_code: string;
    reason: string;
    schema_id: string;
    size_bytes: number;
    observed_at_ms: string;
  }>(
    `SELECT topic, partition, offset, error_code, reason, schema_id, size_bytes, observed_at_ms
     FROM ${DEAD_LETTERS} FINAL ${since} ORDER BY observed_at_ms DESC, topic, partition, offset LIMIT ${quoteNumber(query.limit)}`,
  );
  return rows.map((r) => ({
    letter: `${r.topic}/${r.partition}/${r.offset}`,
    topic: r.topic,
    partition: r.partition,
    offset: Number(r.offset),
    error_code: r.error_code,
    reason: r.reason,
    schema_id: Number(r.schema_id),
    size_bytes: r.size_bytes,
    observed_at: new Date(Number(r.observed_at_ms)).toISOString(),
  }));
}

const WRITE_NOTE =
  'A write: served only when the API runs with API_ACTIONS=on and API_AUTH_TOKEN (403 otherwise). Audited in action_log (GET /api/v1/actions). ' +
  'Idempotent: the same action on the same target with the same Idempotency-Key header (none by default) is done once; a repeat answers outcome=duplicate and produces nothing. ' +
  'Headers: Idempotency-Key (optional), X-Actor (who asks, recorded in the audit log).';

/**
 * Cancel a task, retry a task, replay dead letters (REST POST routes and GraphQL mutations), the
 * audit log and the dead letters (reads). The writes go through `ApiContext.actions`.
 */
export const actionsModule: ApiModuleFactory = (context) => ({
  name: 'actions',
  rest: [
    defineRoute({
      method: 'POST',
      path: '/api/v1/actions/tasks/{task_id}/cancel',
      summary:
        "Cancel a pending task: a CANCEL through its agent's own queue (the agent aborts it and tells the requester)",
      description: `${WRITE_NOTE} 404 for an unknown task, 409 when it is not pending (outcome=refused, detail.reason says why).`,
      pathParams: { task_id: idParam().describe('the pending task to cancel') },
      query: taskQuery,
      response: ActionResultSchema,
      handler: async ({ path, query, request }) =>
        answer(
          await service(context).cancelTask(
            path.task_id,
            query.reason ?? 'operator request',
            callerOf(request, ActionChannel.REST),
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/actions/tasks/{task_id}/retry',
      summary:
        'Retry a task: its TASK produced again with the next attempt number, in the same trace and job',
      description: `${WRITE_NOTE} 404 for an unknown task, 409 when it completed. A deadline already past is dropped from the retry (detail.deadline_dropped). The new task id is detail.task_id.`,
      pathParams: { task_id: idParam().describe('the task to retry (the message id of its TASK message)') },
      query: taskQuery,
      response: ActionResultSchema,
      handler: async ({ path, query, request }) =>
        answer(
          await service(context).retryTask(
            path.task_id,
            query.reason ?? 'operator request',
            callerOf(request, ActionChannel.REST),
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/actions/dead-letters/replay',
      summary: 'Replay dead letters to their origin topic, with their original key, value and headers',
      description:
        `${WRITE_NOTE} letters=topic/partition/offset,… (GET /api/v1/dead-letters lists them) or since_minutes=N, up to limit. ` +
        'Each letter is its own action: refused when the codec still cannot decode it (fix the producer or the registry first) unless force=true, ' +
        'or when it is no longer in agent-telemetry-dlq. 404 when no dead letter matches.',
      query: replayQuery,
      response: ReplayResultSchema,
      handler: async ({ query, request }) => {
        if (query.letters === undefined && query.since_minutes === 0) {
          throw badParameter('letters', 'give letters (topic/partition/offset,…) or since_minutes');
        }
        return service(context).replayDeadLetters(
          {
            letters: query.letters,
            sinceMinutes: query.since_minutes === 0 ? undefined : query.since_minutes,
            limit: query.limit,
            force: query.force,
          },
          callerOf(request, ActionChannel.REST),
        );
      },
    }),
    defineRoute({
      path: '/api/v1/actions',
      summary:
        'The action audit log, newest first: who asked what, when, through which channel, and the outcome',
      query: logQuery,
      response: ActionLogSchema,
      handler: async ({ query }) => ({
        entries: await actionLog(context, query),
        actions_enabled: context.actions !== undefined,
      }),
    }),
    defineRoute({
      path: '/api/v1/dead-letters',
      summary: 'Dead letters the processors wrote (origin, error code, reason), newest first',
      query: deadLetterQuery,
      response: z.object({ dead_letters: z.array(DeadLetterSchema) }),
      handler: async ({ query }) => ({ dead_letters: await deadLetters(context, query) }),
    }),
  ],
  typeDefs: loadSdl(new URL('./actions.graphql', import.meta.url)),
  resolvers: {
    Query: {
      actionLog: (_parent, args) => actionLog(context, parseArgs(logQuery, args)),
      deadLetters: (_parent, args) => deadLetters(context, parseArgs(deadLetterQuery, args)),
    },
    Mutation: {
      cancelTask: (_parent, args) => {
        const { task_id: taskId, reason } = parseArgs({ task_id: idParam(), ...taskQuery }, args);
        return service(context).cancelTask(taskId, reason ?? 'operator request', graphqlCaller(args));
      },
      retryTask: (_parent, args) => {
        const { task_id: taskId, reason } = parseArgs({ task_id: idParam(), ...taskQuery }, args);
        return service(context).retryTask(taskId, reason ?? 'operator request', graphqlCaller(args));
      },
      replayDeadLetters: (_parent, args) => {
        const letters = Array.isArray(args.letters) ? (args.letters as string[]) : undefined;
        const query = parseParams(
          { since_minutes: replayQuery.since_minutes, limit: replayQuery.limit, force: replayQuery.force },
          (name) => {
            const value = args[name];
            return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
          },
        );
        if ((letters === undefined || letters.length === 0) && query.since_minutes === 0) {
          throw badParameter('letters', 'give letters (topic/partition/offset,…) or since_minutes');
        }
        return service(context).replayDeadLetters(
          {
            letters,
            sinceMinutes: query.since_minutes === 0 ? undefined : query.since_minutes,
            limit: query.limit,
            force: query.force,
          },
          graphqlCaller(args),
        );
      },
    },
  },
});

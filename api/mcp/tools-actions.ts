import { z } from 'zod';
import { ActionChannel, ActionKind, queryActionLog } from '../../lib/tables/action-log.js';
import type { ApiContext } from '../module.js';
import type { ActionCaller, ActionsService } from '../actions/service.js';
import { defineTool, idArg, ToolFailure, type ToolAnnotations } from './tool-kit.js';

/**
 * Writes: they change the system (openWorldHint: they reach agents through Kafka). None destroys
 * data; cancel stops work in progress, so it is marked destructive. All are idempotent: a repeat with
 * the same idempotency_key produces nothing again.
 */
const CANCEL: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: true,
};
const PRODUCE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};

const keyArg = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, '1-128 letters, digits, ".", "_", ":" or "-"')
  .optional()
  .describe(
    'Idempotency key: the same action on the same target with the same key is done once (default: none, so once per target)',
  );
const actorArg = z
  .string()
  .regex(/^[\x20-\x7e]{1,100}$/, '1-100 printable ASCII characters')
  .optional()
  .describe('Who asks, for the audit log (default "mcp")');
const reasonArg = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .describe('Why, for the audit log and the message reason');

function actions(context: ApiContext): ActionsService {
  if (context.actions === undefined) {
    throw new ToolFailure(context.config.api.actions.refusal ?? 'actions are not served by this process');
  }
  return context.actions;
}

function caller(a: { idempotency_key?: string | undefined; actor?: string | undefined }): ActionCaller {
  return {
    actor: a.actor ?? 'mcp',
    channel: ActionChannel.MCP,
    client: 'mcp',
    idempotencyKey: a.idempotency_key ?? '',
  };
}

export function actionTools(context: ApiContext) {
  return [
    defineTool({
      name: 'cancel_task',
      title: 'Cancel a task',
      description:
        "Sends a CANCEL for a pending task through its agent's own queue: the agent aborts it and tells the requester. Only when the API runs with API_ACTIONS=on. " +
        'Answers outcome done, duplicate (already cancelled by an earlier request: nothing sent), or refused with detail.reason (unknown task, not pending). Audited (action_log).',
      input: {
        task_id: idArg('The task id (message_id of its TASK)'),
        reason: reasonArg,
        idempotency_key: keyArg,
        actor: actorArg,
      },
      annotations: CANCEL,
      run: async (a) => ({
        ...(await actions(context).cancelTask(a.task_id, a.reason ?? 'cancelled through MCP', caller(a))),
      }),
    }),
    defineTool({
      name: 'retry_task',
      title: 'Retry a task',
      description:
        'Produces a task again with the next attempt number, in the same trace and job (the new task id is detail.task_id; follow it with get_task). ' +
        'Refused for a completed task. Only when the API runs with API_ACTIONS=on. Idempotent: a repeat answers duplicate; pass a new idempotency_key to retry once more.',
      input: {
        task_id: idArg('The task id to retry (the latest attempt)'),
        reason: reasonArg,
        idempotency_key: keyArg,
        actor: actorArg,
      },
      annotations: PRODUCE,
      run: async (a) => ({
        ...(await actions(context).retryTask(a.task_id, a.reason ?? 'retried through MCP', caller(a))),
      }),
    }),
    defineTool({
      name: 'replay_dead_letters',
      title: 'Replay dead letters',
      description:
        'Produces dead letters (undecodable messages the processors set aside) again to their origin topic, once the producer or registry is fixed. ' +
        'Name them as topic/partition/offset (list_dead_letters), or take those of the last since_minutes. A letter still undecodable is refused unless force. ' +
        'Only when the API runs with API_ACTIONS=on; each letter is audited and replayed once.',
      input: {
        letters: z
          .array(z.string().min(3).max(300))
          .max(100)
          .optional()
          .describe('topic/partition/offset of each letter'),
        since_minutes: z
          .number()
          .int()
          .min(1)
          .max(10_080)
          .optional()
          .describe('Or: the letters observed in the last minutes'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(20)
          .describe('At most this many letters (default 20)'),
        force: z.boolean().default(false).describe('Replay even bytes the codec still cannot decode'),
        idempotency_key: keyArg,
        actor: actorArg,
      },
      annotations: PRODUCE,
      run: async (a) => {
        if ((a.letters === undefined || a.letters.length === 0) && a.since_minutes === undefined) {
          throw new ToolFailure('give letters (topic/partition/offset) or since_minutes');
        }
        return {
          ...(await actions(context).replayDeadLetters(
            { letters: a.letters, sinceMinutes: a.since_minutes, limit: a.limit, force: a.force },
            caller(a),
          )),
        };
      },
    }),
    defineTool({
      name: 'action_log',
      title: 'Action audit log',
      description:
        'Actions taken (cancel_task, retry_task, replay_dead_letters), newest first: who, when, through which channel, what, outcome.',
      input: {
        action: z
          .enum(Object.values(ActionKind) as [ActionKind, ...ActionKind[]])
          .optional()
          .describe('Only this kind of action'),
        target: z.string().min(1).max(500).optional().describe('A task id or topic/partition/offset'),
        limit: z.number().int().min(1).max(100).default(20).describe('Rows (1..100, default 20)'),
      },
      run: async (a) => {
        const rows = await queryActionLog(context.reader, {
          action: a.action,
          target: a.target,
          limit: a.limit,
        });
        return {
          actions_enabled: context.actions !== undefined,
          entries: rows.map(({ at_ms: atMs, detail, ...rest }) => ({
            ...rest,
            detail: JSON.parse(detail) as unknown,
            at: new Date(atMs).toISOString(),
          })),
        };
      },
    }),
  ];
}

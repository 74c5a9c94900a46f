import { Repeater } from 'graphql-yoga';
import { z } from 'zod';
import { badParameter } from '../http/http-error.js';
import { enumParam, idParam, intParam, optionalIdParam, textParam, timeParam } from '../http/params.js';
import type { LiveEvent } from '../live-feed.js';
import type { ApiContext, ResolverMap } from '../module.js';
import { CATEGORIES, SEVERITIES } from '../read-models/errors.js';
import { MESSAGE_TYPES } from '../read-models/messages.js';
import { liveError, liveMessage } from '../read-models/shapes.js';
import { PRIORITIES } from '../read-models/tasks.js';
import { parseArgs } from './args.js';
import { selectedFields } from './selection.js';

const entries = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));

const objectArg = (
  args: Readonly<Record<string, unknown>>,
  name: string,
): Readonly<Record<string, unknown>> => {
  const value = args[name];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
};

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Live records handed to a subscription are held in a bounded queue; a subscriber that falls behind is ended. */
const SUBSCRIPTION_BUFFER = 1_000;

function liveStream<T>(context: ApiContext, pick: (event: LiveEvent) => T | undefined): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    let pending = 0;
    const unsubscribe = context.feed.subscribe((event) => {
      const value = pick(event);
      if (value === undefined) return;
      if (pending >= SUBSCRIPTION_BUFFER) {
        stop(new Error('subscriber too slow: more than 1000 events unread'));
        return;
      }
      pending++;
      void push(value).then(() => {
        pending--;
      });
    });
    await stop;
    unsubscribe();
  });
}

/** GraphQL resolvers of the core schema (api/graphql/core.graphql), over the shared read models. */
export function coreResolvers(context: ApiContext): ResolverMap {
  const { queues, messages, tasks, errors, traces, agents } = context.readModels;
  return {
    Query: {
      queues: () => queues.list(),
      queue: async (_parent, args) => {
        const a = parseArgs(
          {
            agent: idParam(),
            message_type: enumParam(MESSAGE_TYPES),
            source_agent: optionalIdParam(),
            trace_id: optionalIdParam(),
            since: timeParam(),
            until: timeParam(),
            limit: intParam(50, 1, 500),
            cursor: textParam(400),
          },
          args,
        );
        const queue = await queues.get(a.agent);
        if (queue === undefined) return null;
        const page = await messages.list(
          {
            agent: a.agent,
            messageType: a.message_type,
            sourceAgent: a.source_agent,
            traceId: a.trace_id,
            sinceMs: a.since,
            untilMs: a.until,
          },
          a.limit,
          a.cursor,
        );
        return { queue, messages: page };
      },
      pendingTasks: (_parent, args) => {
        const filter = parseArgs(
          {
            agent: optionalIdParam(),
            min_priority: enumParam(PRIORITIES),
            min_age_seconds: intParam(0, 0, 31_536_000),
            trace_id: optionalIdParam(),
          },
          objectArg(args, 'filter'),
        );
        const { limit } = parseArgs({ limit: intParam(100, 1, 5_000) }, args);
        return tasks.pending({
          agent: filter.agent,
          minPriority: filter.min_priority,
          minAgeSeconds: filter.min_age_seconds > 0 ? filter.min_age_seconds : undefined,
          traceId: filter.trace_id,
          limit,
        });
      },
      task: async (_parent, args) => (await tasks.history(parseArgs({ id: idParam() }, args).id)) ?? null,
      errors: async (_parent, args, _context, info) => {
        const f = parseArgs(
          {
            severity: enumParam(SEVERITIES),
            category: enumParam(CATEGORIES),
            agent: optionalIdParam(),
            trace_id: optionalIdParam(),
            task_id: optionalIdParam(),
            fingerprint: optionalIdParam(),
            since: timeParam(),
            until: timeParam(),
          },
          objectArg(args, 'filter'),
        );
        const { limit, cursor } = parseArgs({ limit: intParam(50, 1, 500), cursor: textParam(400) }, args);
        if (f.since !== undefined && f.until !== undefined && f.until <= f.since)
          throw badParameter('until', 'must be after since');
        const filter = {
          severity: f.severity,
          category: f.category,
          agent: f.agent,
          traceId: f.trace_id,
          taskId: f.task_id,
          fingerprint: f.fingerprint,
          sinceMs: f.since,
          untilMs: f.until,
        };
        // the columns of the selected fields only, and the count only when it is asked for
        const [page, total] = await Promise.all([
          errors.page(filter, limit, cursor, selectedFields(info, ['items'])),
          selectedFields(info).has('total') ? errors.total(filter) : undefined,
        ]);
        return { ...page, total };
      },
      error: async (_parent, args) => (await errors.get(parseArgs({ id: idParam() }, args).id)) ?? null,
      errorGroups: (_parent, args) => {
        const a = parseArgs(
          { agent: optionalIdParam(), since: timeParam(), limit: intParam(50, 1, 500) },
          args,
        );
        return errors.groups({ limit: a.limit, agent: a.agent, sinceMs: a.since });
      },
      errorSummary: async (_parent, args) => {
        const summary = await errors.summary({ sinceMs: parseArgs({ since: timeParam() }, args).since });
        return {
          total_errors: summary.total_errors,
          by_severity: entries(summary.by_severity),
          by_category: entries(summary.by_category),
          by_agent: entries(summary.by_agent),
        };
      },
      trace: async (_parent, args) => (await traces.get(parseArgs({ id: idParam() }, args).id)) ?? null,
      traces: (_parent, args) => {
        const a = parseArgs(
          {
            since_minutes: intParam(60, 1, 10_080),
            agent: optionalIdParam(),
            limit: intParam(50, 1, 500),
          },
          args,
        );
        return traces.list({
          sinceMs: context.now() - a.since_minutes * 60_000,
          limit: a.limit,
          agent: a.agent,
        });
      },
      agents: (_parent, args) =>
        agents.list(parseArgs({ window_minutes: intParam(15, 1, 10_080) }, args).window_minutes),
    },
    Subscription: {
      errorAdded: {
        subscribe: (_parent, args) => {
          const wanted = stringList(args.agents);
          const severities = z.array(z.enum(SEVERITIES)).parse(stringList(args.severities));
          return liveStream(context, (event) =>
            event.kind === 'error' &&
            (wanted.length === 0 || wanted.includes(event.value.agent_name)) &&
            (severities.length === 0 || severities.includes(event.value.severity))
              ? liveError(event)
              : undefined,
          );
        },
      },
      queueActivity: {
        subscribe: (_parent, args) => {
          const wanted = stringList(args.agents);
          const types = stringList(args.message_types);
          return liveStream(context, (event) =>
            event.kind === 'message' &&
            (wanted.length === 0 ||
              wanted.includes(event.value.source_agent) ||
              wanted.includes(event.value.target_agent)) &&
            (types.length === 0 || types.includes(event.value.message_type))
              ? liveMessage(event)
              : undefined,
          );
        },
      },
    },
  };
}

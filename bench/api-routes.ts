import type { ReadModels } from '../api/read-models/index.js';

/**
 * What the API benchmark measures: the contract's primary REST routes and the main GraphQL queries,
 * each with its direct peer (the same read-model calls the route's handler or resolver makes,
 * without HTTP, validation, GraphQL or JSON), and a check of the answer's shape made once before
 * timing. Requests rotate over ids that exist in the seeded data, so no route is timed on 404s.
 */

/** Ids sampled from the seeded database. */
export interface BenchIds {
  agents: readonly string[];
  taskIds: readonly string[];
  traceIds: readonly string[];
  errorIds: readonly string[];
  /** A cursor of the second page of the GraphQL errors query, found by the shape check. */
  errorsCursor?: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface BenchRoute {
  name: string;
  kind: 'rest' | 'graphql';
  /** The n-th request of the run. */
  request(n: number): HttpRequest;
  /** Why the parsed body is not what the route must answer, or undefined when it is. */
  check(body: unknown): string | undefined;
  /** The same read-model calls, made in process (routes that are not one read model have none). */
  direct?: (models: ReadModels, n: number) => Promise<unknown>;
  /** At most this many idle requests (a report that runs dozens of queries needs fewer to show its p99). */
  maxIdleRequests?: number;
}

const at = <T>(items: readonly T[], n: number): T => {
  const item = items[n % items.length];
  if (item === undefined) throw new Error('no sampled ids to request');
  return item;
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a dotted path through objects. */
export function dig(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** A check that every path holds an array with at least `min` items (0: any array). */
export function arraysAt(paths: Record<string, number>): (body: unknown) => string | undefined {
  return (body) => {
    for (const [path, min] of Object.entries(paths)) {
      const value = dig(body, path);
      if (!Array.isArray(value)) return `${path} is not an array`;
      if (value.length < min) return `${path} has ${value.length} items, expected at least ${min}`;
    }
    return undefined;
  };
}

/** A check that every path holds a value of the given `typeof`. */
export function typesAt(paths: Record<string, string>): (body: unknown) => string | undefined {
  return (body) => {
    for (const [path, type] of Object.entries(paths)) {
      const value = dig(body, path);
      if (typeof value !== type)
        return `${path} is ${value === null ? 'null' : typeof value}, expected ${type}`;
    }
    return undefined;
  };
}

const both =
  (...checks: ((body: unknown) => string | undefined)[]) =>
  (body: unknown): string | undefined => {
    for (const check of checks) {
      const problem = check(body);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

/** REST error-list filters the runs rotate through (all four exist in the seed). */
const ERROR_FILTERS = [
  () => ({ severity: 'critical' as const }),
  (ids: BenchIds, n: number) => ({ agent: at(ids.agents, n), category: 'llm_error' as const }),
  () => ({ sinceMs: Date.now() - 3_600_000 }),
  (ids: BenchIds, n: number) => ({ agent: at(ids.agents, n), severity: 'error' as const }),
];

function errorFilter(ids: BenchIds, n: number) {
  return at(ERROR_FILTERS, n)(ids, n);
}

function errorQueryString(ids: BenchIds, n: number): string {
  const filter = errorFilter(ids, n);
  const params = new URLSearchParams({ limit: '50' });
  if ('severity' in filter) params.set('severity', filter.severity);
  if ('category' in filter) params.set('category', filter.category);
  if ('agent' in filter) params.set('agent_name', filter.agent);
  if ('sinceMs' in filter) params.set('since', String(filter.sinceMs));
  return params.toString();
}

/** As the /queues handler: the list, then each queue's oldest pending tasks as messages. */
async function pendingMessages(models: ReadModels, agent: string, limit: number): Promise<unknown> {
  const states = await models.tasks.pending({ agent, limit });
  return models.messages.tasksOf(states, agent);
}

export function restRoutes(ids: BenchIds): BenchRoute[] {
  const get = (path: string): HttpRequest => ({ method: 'GET', path });
  return [
    {
      name: 'GET /api/v1/queues',
      kind: 'rest',
      request: () => get('/api/v1/queues'),
      check: both(arraysAt({ queues: ids.agents.length }), typesAt({ total_messages: 'number' })),
      direct: async (models) => {
        const list = await models.queues.list();
        return Promise.all(
          list.map((q) =>
            q.pending_tasks === 0 ? Promise.resolve([]) : pendingMessages(models, q.agent_name, 50),
          ),
        );
      },
    },
    {
      name: 'GET /api/v1/queues/{agent}',
      kind: 'rest',
      request: (n) => get(`/api/v1/queues/${encodeURIComponent(at(ids.agents, n))}?limit=50`),
      check: both(arraysAt({ messages: 1, pending: 0 }), typesAt({ pending_tasks: 'number' })),
      direct: async (models, n) => {
        const agent = at(ids.agents, n);
        await models.queues.get(agent);
        return Promise.all([
          models.messages.list({ agent, messageType: undefined }, 50),
          pendingMessages(models, agent, 50),
        ]);
      },
    },
    {
      name: 'GET /api/v1/queues/{agent}/pending',
      kind: 'rest',
      request: (n) => get(`/api/v1/queues/${encodeURIComponent(at(ids.agents, n))}/pending?limit=100`),
      check: both(arraysAt({ tasks: 0, task_states: 0 }), typesAt({ pending_count: 'number' })),
      direct: async (models, n) => {
        const agent = at(ids.agents, n);
        await models.queues.get(agent);
        return pendingMessages(models, agent, 100);
      },
    },
    {
      name: 'GET /api/v1/tasks/pending',
      kind: 'rest',
      request: () => get('/api/v1/tasks/pending?limit=100'),
      check: arraysAt({ tasks: 1 }),
      direct: (models) => models.tasks.pending({ limit: 100 }),
    },
    {
      name: 'GET /api/v1/errors?<filters>',
      kind: 'rest',
      request: (n) => get(`/api/v1/errors?${errorQueryString(ids, n)}`),
      check: both(arraysAt({ errors: 1 }), typesAt({ total: 'number', 'summary.total_errors': 'number' })),
      direct: (models, n) =>
        Promise.all([models.errors.list(errorFilter(ids, n), 50), models.errors.summary()]),
    },
    {
      name: 'GET /api/v1/errors/summary',
      kind: 'rest',
      request: () => get('/api/v1/errors/summary'),
      check: typesAt({ total_errors: 'number', by_severity: 'object', by_agent: 'object' }),
      direct: (models) => models.errors.summary({}),
    },
    {
      name: 'GET /api/v1/errors/groups',
      kind: 'rest',
      request: () => get('/api/v1/errors/groups?limit=50'),
      check: arraysAt({ groups: 1 }),
      direct: (models) => models.errors.groups({ limit: 50 }),
    },
    {
      name: 'GET /api/v1/errors/{error_id}',
      kind: 'rest',
      request: (n) => get(`/api/v1/errors/${encodeURIComponent(at(ids.errorIds, n))}`),
      check: typesAt({ 'error.error_id': 'string', 'error.stack_trace': 'string' }),
      direct: (models, n) => models.errors.get(at(ids.errorIds, n)),
    },
    {
      name: 'GET /api/v1/tasks/{task_id}',
      kind: 'rest',
      request: (n) => get(`/api/v1/tasks/${encodeURIComponent(at(ids.taskIds, n))}`),
      check: arraysAt({ states: 1, messages: 1 }),
      direct: (models, n) => models.tasks.history(at(ids.taskIds, n)),
    },
    {
      name: 'GET /api/v1/traces/{trace_id}',
      kind: 'rest',
      request: (n) => get(`/api/v1/traces/${encodeURIComponent(at(ids.traceIds, n))}`),
      check: both(arraysAt({ roots: 1, timeline: 1 }), typesAt({ duration_ms: 'number' })),
      direct: (models, n) => models.traces.get(at(ids.traceIds, n)),
    },
    {
      name: 'GET /api/v1/agents',
      kind: 'rest',
      request: () => get('/api/v1/agents'),
      check: arraysAt({ agents: ids.agents.length }),
      direct: (models) => models.agents.list(15),
    },
    {
      name: 'GET /api/v1/claude/diagnose',
      kind: 'rest',
      request: () => get('/api/v1/claude/diagnose?format=summary'),
      maxIdleRequests: 20,
      check: typesAt({ system_status: 'string', system_summary: 'string' }),
    },
  ];
}

const ERROR_FIELDS = 'error_id severity category agent_name timestamp error_message trace_id';

export function graphqlRoutes(ids: BenchIds): BenchRoute[] {
  const post = (query: string, variables: Record<string, unknown> = {}): HttpRequest => ({
    method: 'POST',
    path: '/graphql',
    body: JSON.stringify({ query, variables }),
  });
  const errorsQuery = `query Errors($filter: ErrorFilter, $cursor: String) {
    errors(filter: $filter, limit: 50, cursor: $cursor) { total next_cursor items { ${ERROR_FIELDS} } } }`;
  /** Every second request asks for the second page of the unfiltered list. */
  const errorsArgs = (
    n: number,
  ): { filter: Record<string, string> | undefined; cursor: string | undefined } => {
    if (n % 2 === 1 && ids.errorsCursor !== undefined) return { filter: undefined, cursor: ids.errorsCursor };
    const f = errorFilter(ids, n);
    const filter: Record<string, string> = {};
    if ('severity' in f) filter.severity = f.severity;
    if ('category' in f) filter.category = f.category;
    if ('agent' in f) filter.agent = f.agent;
    if ('sinceMs' in f) filter.since = String(f.sinceMs);
    return { filter, cursor: undefined };
  };
  return [
    {
      name: 'query queues',
      kind: 'graphql',
      request: () =>
        post(`{ queues { agent_name queue_topic lag lag_status pending_tasks oldest_pending_age_seconds
          total_messages partitions { partition lag status } } }`),
      check: arraysAt({ 'data.queues': ids.agents.length }),
      direct: (models) => models.queues.list(),
    },
    {
      name: 'query pendingTasks',
      kind: 'graphql',
      request: () =>
        post(`{ pendingTasks(filter: { min_priority: normal }, limit: 100) {
          task_id agent_name requester priority state age_seconds trace_id } }`),
      check: arraysAt({ 'data.pendingTasks': 1 }),
      direct: (models) => models.tasks.pending({ minPriority: 'normal', limit: 100 }),
    },
    {
      name: 'query errors(filter, cursor)',
      kind: 'graphql',
      request: (n) => post(errorsQuery, errorsArgs(n)),
      check: both(arraysAt({ 'data.errors.items': 1 }), typesAt({ 'data.errors.total': 'number' })),
      direct: (models, n) => {
        const { filter, cursor } = errorsArgs(n);
        const f = filter === undefined ? {} : errorFilter(ids, n);
        return models.errors.list(f, 50, cursor);
      },
    },
    {
      name: 'query errorGroups',
      kind: 'graphql',
      request: () =>
        post(`{ errorGroups(limit: 50) { fingerprint error_type category severity count first_seen last_seen
          agents sample_error_id trend { buckets direction } } }`),
      check: arraysAt({ 'data.errorGroups': 1 }),
      direct: (models) => models.errors.groups({ limit: 50 }),
    },
    {
      name: 'query agents',
      kind: 'graphql',
      request: () =>
        post(`{ agents { agent_name liveness last_heartbeat tasks_received results_sent throughput_per_minute
          error_rate llm { calls tokens_per_minute rate_limited models } } }`),
      check: arraysAt({ 'data.agents': ids.agents.length }),
      direct: (models) => models.agents.list(15),
    },
    {
      name: 'query task(id)',
      kind: 'graphql',
      request: (n) =>
        post(
          `query Task($id: String!) { task(id: $id) { task_id trace_id states { agent_name state priority
            submitted_at resolved_at } messages { message_id message_type source_agent target_agent timestamp }
            errors { ${ERROR_FIELDS} } } }`,
          { id: at(ids.taskIds, n) },
        ),
      check: arraysAt({ 'data.task.states': 1, 'data.task.messages': 1 }),
      direct: (models, n) => models.tasks.history(at(ids.taskIds, n)),
    },
    {
      name: 'query trace(id)',
      kind: 'graphql',
      request: (n) =>
        post(
          `query Trace($id: String!) { trace(id: $id) { trace_id duration_ms agents message_count error_count
            status roots { message { message_id message_type } children { message { message_id } } }
            timeline { kind at offset_ms agent_name summary } } }`,
          { id: at(ids.traceIds, n) },
        ),
      check: arraysAt({ 'data.trace.roots': 1, 'data.trace.timeline': 1 }),
      direct: (models, n) => models.traces.get(at(ids.traceIds, n)),
    },
  ];
}

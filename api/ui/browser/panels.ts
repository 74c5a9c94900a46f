/// <reference lib="dom" />
import { activityChart, sparkline } from './charts.js';
import { badge, formatAge, formatNumber, formatPercent, formatTime, h } from './dom.js';
import { agentHealth, lagTone } from './health.js';
import type { Activity, Agent, DiagnosisSummary, ErrorGroup, Queue, Task } from './types.js';

const HEALTH_TONE = { healthy: 'ok', degraded: 'warn', critical: 'bad', unknown: 'muted' } as const;
const LIVENESS_TONE = { alive: 'ok', silent: 'warn', dead: 'bad', unknown: 'muted' } as const;
const PRIORITY_TONE = { critical: 'bad', high: 'warn', normal: 'muted', low: 'muted' } as const;
const SEVERITY_TONE: Readonly<Record<string, string>> = {
  critical: 'bad',
  error: 'bad',
  warning: 'warn',
  info: 'muted',
};

function table(headers: readonly string[], rows: readonly HTMLTableRowElement[], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, ...rows),
  );
}

export function agentsTable(agents: readonly Agent[], queues: readonly Queue[]): HTMLElement {
  const queueOf = new Map(queues.map((q) => [q.agent_name, q]));
  const rows = agents.map((agent) => {
    const { health, reasons } = agentHealth(agent, queueOf.get(agent.agent_name));
    const heartbeat =
      agent.last_heartbeat === null
        ? '–'
        : `${formatTime(agent.last_heartbeat)}${agent.heartbeat_state === null ? '' : ` (${agent.heartbeat_state})`}`;
    const load =
      agent.in_flight === null
        ? '–'
        : `${agent.in_flight}/${agent.max_concurrency === null ? '?' : agent.max_concurrency}`;
    return h(
      'tr',
      { 'data-agent': agent.agent_name, 'data-health': health },
      h('td', {}, agent.agent_name),
      h('td', {}, badge(agent.liveness, LIVENESS_TONE[agent.liveness])),
      h(
        'td',
        { title: reasons.join('; ') },
        badge(health, HEALTH_TONE[health]),
        reasons.length > 0 ? h('small', {}, ` ${reasons.join('; ')}`) : null,
      ),
      h('td', {}, heartbeat),
      h('td', { class: 'num' }, load),
      h('td', { class: 'num' }, formatNumber(agent.throughput_per_minute, 1)),
      h('td', { class: 'num' }, formatPercent(agent.error_rate)),
      h('td', { class: 'num' }, agent.errors_reported),
    );
  });
  return table(
    ['agent', 'liveness', 'health', 'last heartbeat', 'in flight', 'answers/min', 'error rate', 'errors'],
    rows,
    'No agents seen yet.',
  );
}

export function queuesTable(queues: readonly Queue[]): HTMLElement {
  const rows = queues.map((queue) =>
    h(
      'tr',
      { 'data-queue': queue.agent_name },
      h('td', {}, queue.queue_topic),
      h(
        'td',
        {},
        badge(queue.lag_status, lagTone(queue.lag_status)),
        queue.lag_partition_status === queue.lag_status
          ? null
          : h('small', {}, ` partitions ${queue.lag_partition_status}`),
      ),
      h('td', { class: 'num', title: `from ${queue.lag_source}` }, formatNumber(queue.lag)),
      h('td', { class: 'num' }, queue.pending_tasks),
      h(
        'td',
        { class: 'num' },
        queue.oldest_pending_age_seconds === null ? '–' : formatAge(queue.oldest_pending_age_seconds),
      ),
      h('td', { class: 'num' }, queue.consumer_members ?? '–'),
      h('td', { class: 'num' }, formatNumber(queue.total_messages)),
    ),
  );
  return table(
    ['queue', 'lag status', 'lag', 'pending', 'oldest pending', 'consumers', 'messages'],
    rows,
    'No queues.',
  );
}

/** Pending tasks, oldest first (as the API orders them); a row opens the task's history. */
export function pendingTable(tasks: readonly Task[], open: (taskId: string) => void): HTMLElement {
  const rows = tasks.map((task) => {
    const row = h(
      'tr',
      { class: 'clickable', tabindex: 0, 'data-task': task.task_id, title: 'show the history of this task' },
      h('td', {}, h('code', {}, task.task_id)),
      h('td', {}, task.agent_name),
      h('td', {}, task.requester),
      h('td', {}, badge(task.priority, PRIORITY_TONE[task.priority])),
      h('td', { class: 'num' }, formatAge(task.age_seconds)),
      h('td', { class: 'num' }, `${task.attempt}/${task.max_retries + 1}`),
      h('td', {}, task.deadline === null ? '–' : formatTime(task.deadline)),
    );
    row.addEventListener('click', () => {
      open(task.task_id);
    });
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open(task.task_id);
      }
    });
    return row;
  });
  return table(
    ['task', 'target', 'requester', 'priority', 'age', 'attempt', 'deadline'],
    rows,
    'No pending tasks.',
  );
}

export function errorGroupsTable(groups: readonly ErrorGroup[]): HTMLElement {
  const rows = groups.map((group) =>
    h(
      'tr',
      { 'data-fingerprint': group.fingerprint },
      h('td', {}, badge(group.severity, SEVERITY_TONE[group.severity] ?? 'muted')),
      h('td', {}, h('strong', {}, group.error_type), h('br'), h('small', {}, group.sample_message)),
      h('td', {}, group.category),
      h('td', {}, group.agents.join(', ')),
      h('td', { class: 'num' }, group.count),
      h('td', {}, formatTime(group.last_seen)),
      h(
        'td',
        {},
        sparkline(group.trend.buckets, `errors per ${group.trend.bucket_minutes} min`),
        h('small', { class: `trend trend-${group.trend.direction}` }, ` ${group.trend.direction}`),
      ),
    ),
  );
  return table(
    ['severity', 'error', 'category', 'agents', 'count', 'last seen', 'trend'],
    rows,
    'No errors.',
  );
}

export function activityCharts(activity: Activity): HTMLElement {
  if (activity.agents.length === 0)
    return h('p', { class: 'empty' }, `No traffic in the last ${activity.window_minutes} minutes.`);
  return h(
    'div',
    { class: 'charts' },
    ...activity.agents.map((series) => activityChart(series, activity.minutes)),
  );
}

const STATUS_TONE: Readonly<Record<string, string>> = { healthy: 'ok', degraded: 'warn', critical: 'bad' };

/** The diagnosis summary, or why there is none (an API without the diagnosis module answers 404). */
export function diagnosisPanel(summary: DiagnosisSummary | string): HTMLElement {
  if (typeof summary === 'string') return h('p', { class: 'empty' }, summary);
  const counts = Object.entries(summary.issue_counts ?? {})
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return h(
    'div',
    { class: 'diagnosis' },
    h(
      'p',
      {},
      badge(summary.system_status, STATUS_TONE[summary.system_status] ?? 'muted'),
      ' ',
      counts === '' ? 'no issues' : counts,
    ),
    h('p', { class: 'summary-text' }, summary.system_summary),
    summary.suggested_actions === undefined || summary.suggested_actions.length === 0
      ? null
      : h(
          'ol',
          {},
          ...summary.suggested_actions
            .slice(0, 5)
            .map((a) =>
              h(
                'li',
                {},
                a.priority === undefined ? null : badge(String(a.priority), 'muted'),
                ' ',
                a.action,
              ),
            ),
        ),
  );
}

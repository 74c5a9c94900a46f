/// <reference lib="dom" />
import { ApiError, getJson, graphql, storedToken, storeToken, UnauthorizedError } from './api-client.js';
import { formatTime, h, replace } from './dom.js';
import { TaskDrillDown } from './drill-down.js';
import { LiveFeed } from './live-feed.js';
import {
  activityCharts,
  agentsTable,
  diagnosisPanel,
  errorGroupsTable,
  pendingTable,
  queuesTable,
} from './panels.js';
import { agentGraphPanel, waterfallPanel } from './topology.js';
import type { Activity, Dashboard, DiagnosisSummary, TraceWaterfall } from './types.js';

const REFRESH_MS = 5_000;
const WINDOW_MINUTES = 15;
const CHART_MINUTES = 30;

/** Everything the tables show, in one GraphQL request per refresh. */
const DASHBOARD_QUERY = `query Dashboard($window: Int!) {
  agents(window_minutes: $window) {
    agent_name liveness last_heartbeat heartbeat_state in_flight max_concurrency host version
    tasks_received results_sent errors_sent errors_reported throughput_per_minute error_rate
    llm { calls rate_limited cost_usd }
  }
  queues {
    agent_name queue_topic lag lag_source lag_status lag_partition_status consumer_members
    total_messages pending_tasks oldest_pending_task_id oldest_pending_age_seconds
  }
  pendingTasks(limit: 200) {
    task_id agent_name requester priority state attempt max_retries submitted_at age_seconds
    deadline expires_at resolved_at resolved_by latency_ms trace_id
  }
  errorGroups(limit: 25) {
    fingerprint error_type category severity operation count first_seen last_seen agents
    sample_message sample_trace_id trend { buckets bucket_minutes direction }
  }
  errorSummary { total_errors by_severity { key count } }
  agentGraph(window_minutes: $window) {
    window_minutes
    nodes { agent health health_reason liveness error_rate throughput_per_minute in_flight pending tasks_received }
    edges { source target tasks rate_per_minute error_rate p95_latency_ms pending }
  }
}`;

const WATERFALL_QUERY = `query Waterfall($trace: String!) {
  traceWaterfall(trace_id: $trace) {
    trace_id started_at duration_ms agents notes
    counts { tasks messages errors llm_calls }
    rows { id kind agent label depth parent_id start_offset_ms end_offset_ms state queued_ms working_ms llm_ms detail }
  }
}`;

/** The trace named by the page's hash (`#trace=<id>`), if any. */
function traceFromHash(): string | null {
  const match = /^#trace=([\w.:-]{1,200})$/.exec(location.hash);
  return match?.[1] ?? null;
}

function section(
  id: string,
  title: string,
  ...extra: (Node | string)[]
): { element: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'section-body' }, h('p', { class: 'empty' }, 'loading…'));
  return {
    element: h(
      'section',
      { id, 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, title, ...extra),
      body,
    ),
    body,
  };
}

function main(root: HTMLElement): void {
  const status = h('span', { id: 'refresh-status' }, 'loading…');
  const signOut = h('button', { type: 'button', id: 'sign-out', hidden: true }, 'forget token');
  const problem = h('div', { id: 'problem', class: 'problem', role: 'alert', hidden: true });
  const tokenInput = h('input', {
    type: 'password',
    id: 'token',
    autocomplete: 'off',
    required: true,
    'aria-label': 'bearer token',
  });
  const tokenForm = h(
    'form',
    { id: 'token-form', hidden: true },
    h('p', {}, 'This API needs a bearer token (API_AUTH_TOKEN). It is kept in this tab only.'),
    tokenInput,
    h('button', { type: 'submit' }, 'use token'),
  );
  const errorTotal = h('span', { class: 'count' });
  const sections = {
    agents: section('agents', 'Agents'),
    queues: section('queues', 'Queues'),
    pending: section(
      'pending',
      'Pending tasks',
      h('small', {}, ' oldest first; select a task for its history'),
    ),
    errors: section('error-groups', 'Error groups', errorTotal),
    activity: section('activity', `Messages and errors per minute (last ${CHART_MINUTES} min)`),
    diagnosis: section('diagnosis', `Diagnosis (last ${WINDOW_MINUTES} min)`),
    graph: section('agent-graph', `Agent graph (last ${WINDOW_MINUTES} min)`),
    waterfall: section('trace-waterfall', 'Trace waterfall'),
    feed: section('feed', 'Live feed'),
  };
  const traceInput = h('input', {
    type: 'text',
    id: 'trace-id',
    placeholder: 'trace id',
    pattern: '[\\w.:-]{1,200}',
    'aria-label': 'trace id',
  });
  const traceForm = h('form', { id: 'trace-form' }, traceInput, h('button', { type: 'submit' }, 'show'));
  const waterfallBody = h(
    'div',
    {},
    h('p', { class: 'empty' }, 'Enter a trace id (from a pending task or an error).'),
  );
  sections.waterfall.body.replaceChildren(traceForm, waterfallBody);
  const feed = new LiveFeed();
  replace(sections.feed.body, feed.element);

  replace(
    root,
    h('header', {}, h('h1', {}, 'agent-telemetry'), status, signOut),
    problem,
    tokenForm,
    h(
      'main',
      {},
      h(
        'div',
        { class: 'column' },
        sections.agents.element,
        sections.queues.element,
        sections.pending.element,
        sections.errors.element,
      ),
      h(
        'div',
        { class: 'column' },
        sections.diagnosis.element,
        sections.activity.element,
        sections.feed.element,
      ),
      h('div', { class: 'wide' }, sections.graph.element, sections.waterfall.element),
    ),
  );

  // after the layout: replacing the root's children would take the dialog with them
  const drill = new TaskDrillDown(root);
  const showProblem = (message: string | undefined): void => {
    problem.hidden = message === undefined;
    problem.textContent = message ?? '';
  };
  const askForToken = (): void => {
    tokenForm.hidden = false;
    feed.stop();
    status.textContent = 'needs a token';
    tokenInput.focus();
  };
  const handle = (error: unknown): void => {
    if (error instanceof UnauthorizedError) {
      if (storedToken() !== null) showProblem('The token was refused.');
      askForToken();
      return;
    }
    showProblem(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  };

  const diagnosis = async (): Promise<DiagnosisSummary | string> => {
    try {
      return await getJson<DiagnosisSummary>(
        `api/v1/claude/diagnose?format=summary&time_window_minutes=${WINDOW_MINUTES}`,
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'This API does not serve the diagnosis.';
      throw error;
    }
  };

  const showTrace = async (traceId: string): Promise<void> => {
    traceInput.value = traceId;
    replace(waterfallBody, h('p', { class: 'empty' }, 'loading…'));
    try {
      const data = await graphql<{ traceWaterfall: TraceWaterfall | null }>(WATERFALL_QUERY, {
        trace: traceId,
      });
      replace(
        waterfallBody,
        data.traceWaterfall === null
          ? h('p', { class: 'empty' }, `No trace ${traceId}.`)
          : waterfallPanel(data.traceWaterfall),
      );
    } catch (error) {
      handle(error);
    }
  };
  traceForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = traceInput.value.trim();
    if (id !== '') location.hash = `trace=${id}`;
  });
  window.addEventListener('hashchange', () => {
    const id = traceFromHash();
    if (id !== null) void showTrace(id);
  });

  let running = false;
  let timer: number | undefined;
  const refresh = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const [data, activity, summary] = await Promise.all([
        graphql<Dashboard>(DASHBOARD_QUERY, { window: WINDOW_MINUTES }),
        getJson<Activity>(`api/v1/agents/activity?window_minutes=${CHART_MINUTES}`),
        diagnosis(),
      ]);
      replace(sections.agents.body, agentsTable(data.agents, data.queues));
      replace(sections.queues.body, queuesTable(data.queues));
      replace(
        sections.pending.body,
        pendingTable(data.pendingTasks, (id) => void drill.open(id, handle)),
      );
      replace(sections.errors.body, errorGroupsTable(data.errorGroups));
      errorTotal.textContent = ` ${data.errorSummary.total_errors} errors`;
      replace(sections.activity.body, activityCharts(activity));
      replace(sections.diagnosis.body, diagnosisPanel(summary));
      replace(sections.graph.body, agentGraphPanel(data.agentGraph));
      status.textContent = `updated ${formatTime(new Date().toISOString())}`;
      tokenForm.hidden = true;
      showProblem(undefined);
      // the feed connects once the API took the token (or needs none): a refused token never opens it
      if (!feed.started) feed.start();
    } catch (error) {
      handle(error);
    } finally {
      running = false;
    }
  };
  const schedule = (): void => {
    window.clearInterval(timer);
    timer = window.setInterval(() => void refresh(), REFRESH_MS);
  };

  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    storeToken(tokenInput.value.trim());
    tokenInput.value = '';
    signOut.hidden = false;
    showProblem(undefined);
    feed.stop();
    void refresh();
  });
  signOut.addEventListener('click', () => {
    storeToken(null);
    signOut.hidden = true;
    feed.stop();
    void refresh();
  });
  signOut.hidden = storedToken() === null;
  void refresh();
  const initialTrace = traceFromHash();
  if (initialTrace !== null) void showTrace(initialTrace);
  schedule();
}

const root = document.getElementById('app');
if (root !== null) main(root);

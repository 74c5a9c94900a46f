/// <reference lib="dom" />
import { graphql } from './api-client.js';
import { badge, formatTime, h, replace } from './dom.js';
import type { TaskHistory } from './types.js';

const TASK_QUERY = `query Task($id: String!) {
  task(id: $id) {
    task_id trace_id
    states { agent_name requester priority state attempt max_retries submitted_at resolved_at resolved_by latency_ms }
    messages { message_id source_agent target_agent message_type priority timestamp reason attempt }
    errors { error_id agent_name severity error_type error_message timestamp }
  }
}`;

type Entry = { at: string; agent: string; what: HTMLElement | string; tone: string };

/** Messages and errors of the task in one time line, the way it moved between agents. */
function timeline(history: TaskHistory): Entry[] {
  const entries: Entry[] = [
    ...history.messages.map((m) => ({
      at: m.timestamp,
      agent: `${m.source_agent} → ${m.target_agent}`,
      what: h(
        'span',
        {},
        badge(m.message_type, m.message_type === 'error' ? 'bad' : 'muted'),
        ` ${m.reason ?? ''}`,
        m.attempt > 1 ? ` (attempt ${m.attempt})` : '',
      ),
      tone: m.message_type,
    })),
    ...history.errors.map((e) => ({
      at: e.timestamp,
      agent: e.agent_name,
      what: h('span', {}, badge(e.severity, 'bad'), ` ${e.error_type}: ${e.error_message}`),
      tone: 'reported-error',
    })),
  ];
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The drill-down dialog: a task's state under every agent it reached, then its time line. */
export class TaskDrillDown {
  readonly #dialog: HTMLDialogElement;
  readonly #body: HTMLElement;
  #requested = '';

  constructor(host: HTMLElement) {
    this.#body = h('div', { class: 'drill-body' });
    const close = h('button', { type: 'button', class: 'close', 'aria-label': 'close' }, '×');
    this.#dialog = h(
      'dialog',
      { id: 'task-drill-down', 'aria-labelledby': 'drill-title' },
      close,
      this.#body,
    );
    close.addEventListener('click', () => {
      this.#dialog.close();
    });
    host.append(this.#dialog);
  }

  async open(taskId: string, onError: (error: unknown) => void): Promise<void> {
    this.#requested = taskId;
    replace(
      this.#body,
      h('h2', { id: 'drill-title' }, 'Task ', h('code', {}, taskId)),
      h('p', {}, 'loading…'),
    );
    if (!this.#dialog.open) this.#dialog.showModal();
    try {
      const { task } = await graphql<{ task: TaskHistory | null }>(TASK_QUERY, { id: taskId });
      // a slower answer for a task opened earlier must not replace the one asked for last
      if (this.#requested !== taskId) return;
      if (task === null) {
        replace(
          this.#body,
          h('h2', { id: 'drill-title' }, 'Task ', h('code', {}, taskId)),
          h('p', {}, 'This task is not known (any more).'),
        );
        return;
      }
      this.#render(task);
    } catch (error) {
      replace(
        this.#body,
        h('h2', { id: 'drill-title' }, 'Task ', h('code', {}, taskId)),
        h('p', { class: 'problem' }, String(error)),
      );
      onError(error);
    }
  }

  #render(task: TaskHistory): void {
    const states = h(
      'table',
      { class: 'states' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['agent', 'state', 'priority', 'attempt', 'submitted', 'resolved', 'by', 'latency'].map((n) =>
            h('th', {}, n),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...task.states.map((s) =>
          h(
            'tr',
            { 'data-agent': s.agent_name, 'data-state': s.state },
            h('td', {}, s.agent_name),
            h(
              'td',
              {},
              badge(s.state, s.state === 'completed' ? 'ok' : s.state === 'pending' ? 'warn' : 'bad'),
            ),
            h('td', {}, s.priority),
            h('td', { class: 'num' }, `${s.attempt}/${s.max_retries + 1}`),
            h('td', {}, formatTime(s.submitted_at)),
            h('td', {}, formatTime(s.resolved_at)),
            h('td', {}, s.resolved_by ?? '–'),
            h('td', { class: 'num' }, s.latency_ms === null ? '–' : `${Math.round(s.latency_ms)} ms`),
          ),
        ),
      ),
    );
    const events = timeline(task);
    replace(
      this.#body,
      h('h2', { id: 'drill-title' }, 'Task ', h('code', {}, task.task_id)),
      task.trace_id === null ? null : h('p', {}, 'trace ', h('code', {}, task.trace_id)),
      h('h3', {}, 'State under each agent'),
      states,
      h('h3', {}, 'History'),
      events.length === 0
        ? h('p', { class: 'empty' }, 'No messages recorded.')
        : h(
            'ol',
            { class: 'timeline' },
            ...events.map((e) =>
              h(
                'li',
                { class: `tl-${e.tone}` },
                h('time', {}, formatTime(e.at)),
                ' ',
                h('span', { class: 'who' }, e.agent),
                ' ',
                e.what,
              ),
            ),
          ),
    );
  }
}

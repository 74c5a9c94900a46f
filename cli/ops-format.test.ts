import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '../api/live-feed.js';
import type { AgentView } from '../api/read-models/agents.js';
import type { QueueView } from '../api/read-models/queues.js';
import type { TaskView } from '../api/read-models/tasks.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { registerOpsCommands } from './commands-ops.js';
import { matchesWatch } from './ops-watch.js';
import {
  age,
  ExitCode,
  formatDiagnosis,
  formatLiveEvent,
  formatPending,
  relevantAgents,
  statusVerdict,
  table,
} from './ops-format.js';

const NOW = Date.UTC(2026, 10, 24, 4, 0, 0);

function agent(name: string, overrides: Partial<AgentView> = {}): AgentView {
  return {
    agent_name: name,
    queue_topic: `agent-queue-${name}`,
    liveness: 'alive',
    last_heartbeat: new Date(NOW - 5_000).toISOString(),
    heartbeat_state: 'idle',
    in_flight: 0,
    max_concurrency: 4,
    host: 'h',
    version: '1',
    window_minutes: 15,
    tasks_received: 3,
    results_sent: 3,
    errors_sent: 0,
    errors_reported: 0,
    throughput_per_minute: 0.2,
    error_rate: 0,
    llm: {
      calls: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      cost_usd: 0,
      rate_limited: 0,
      failed: 0,
      tokens_per_minute: 0,
      requests_per_minute: 0,
      avg_latency_ms: 0,
      models: [],
    },
    ...overrides,
  };
}

function queue(name: string, overrides: Partial<QueueView> = {}): QueueView {
  return {
    agent_name: name,
    queue_topic: `agent-queue-${name}`,
    consumer_group: `agent-${name}`,
    lag: 0,
    lag_source: 'kafka',
    lag_status: 'OK',
    lag_partition_status: 'OK',
    partitions: [],
    consumer_members: 1,
    total_messages: 10,
    pending_tasks: 0,
    oldest_pending_task_id: null,
    oldest_pending_submitted_at: null,
    oldest_pending_age_seconds: null,
    ...overrides,
  };
}

function task(ageSeconds: number): TaskView {
  return {
    task_id: `t${ageSeconds}`,
    agent_name: 'reviewer',
    requester: 'orchestrator',
    priority: 'normal',
    state: 'pending',
    attempt: 1,
    max_retries: 3,
    submitted_at: new Date(NOW - ageSeconds * 1000).toISOString(),
    age_seconds: ageSeconds,
    expires_at: null,
    deadline: null,
    resolved_at: null,
    latency_ms: null,
    resolved_by: null,
    trace_id: 'abc',
    job_id: null,
  };
}

describe('table', () => {
  it('aligns columns under upper-case headers and cuts long cells', () => {
    const text = table(
      ['agent', 'note'],
      [
        ['coder', 'x'.repeat(80)],
        ['reviewer', null],
      ],
      10,
    );
    expect(text.split('\n')).toEqual(['AGENT     NOTE', 'coder     xxxxxxxxx…', 'reviewer  -']);
  });
});

describe('age', () => {
  it('reads at a glance', () => {
    expect([age(null), age(42), age(312), age(3 * 3_600 + 240), age(2 * 86_400 + 3 * 3_600)]).toEqual([
      '-',
      '42s',
      '5m12s',
      '3h04m',
      '2d03h',
    ]);
  });
});

describe('status verdict (exit code 1 when unhealthy)', () => {
  it('is healthy when every expected agent beats and no queue lags', () => {
    expect(statusVerdict([queue('coder')], [agent('coder')], ['coder'])).toEqual({
      healthy: true,
      problems: [],
    });
  });

  it('names a dead expected agent and a stalled queue', () => {
    const verdict = statusVerdict(
      [queue('coder', { lag: 12, lag_status: 'ERR', lag_partition_status: 'STALL' })],
      [agent('coder', { liveness: 'dead' }), agent('writer')],
      ['coder', 'writer'],
    );
    expect(verdict.healthy).toBe(false);
    expect(verdict.problems).toEqual([
      expect.stringMatching(/^coder is dead/),
      'coder: consumer lag 12 (ERR, worst partition STALL)',
    ]);
  });

  it('leaves out agents of finished runs unless configured, active or owed work', () => {
    const old = new Date(NOW - 5 * 3_600_000).toISOString();
    const idle = { tasks_received: 0, results_sent: 0, last_heartbeat: old, liveness: 'dead' as const };
    const shown = relevantAgents(
      [agent('gone', idle), agent('configured', idle), agent('owed', idle), agent('busy')],
      [queue('owed', { pending_tasks: 2 })],
      ['configured'],
      NOW,
    );
    expect(shown.map((a) => a.agent_name)).toEqual(['configured', 'owed', 'busy']);
  });
});

describe('pending', () => {
  it('marks tasks older than the stuck threshold', () => {
    const text = formatPending([task(900), task(30)], 300);
    expect(text).toMatch(/15m00s STUCK +reviewer/);
    expect(text).toMatch(/2 pending, 1 older than 5m00s/);
  });
});

describe('diagnose', () => {
  it('shows status, ranked issues and the actions', () => {
    const text = formatDiagnosis({
      system_status: 'critical',
      health_score: 40,
      system_summary: 'System critical.',
      issues: [
        {
          rank: 1,
          severity: 'critical',
          kind: 'stuck_tasks',
          title: 'reviewer has stuck tasks',
          affected_components: ['reviewer'],
          suggested_actions: [],
          related_trace_ids: ['t1'],
        },
      ],
      suggested_actions: ['Restart the reviewer'],
    });
    expect(text.split('\n')[0]).toBe('CRITICAL (health 40/100)');
    expect(text).toMatch(/1 +critical +stuck_tasks +reviewer has stuck tasks +reviewer +t1/);
    expect(text).toMatch(/1\. Restart the reviewer/);
  });
});

describe('watch', () => {
  const message: LiveEvent = {
    kind: 'message',
    topic: 'agent-queue-reviewer',
    partition: 0,
    offset: '1',
    timeMs: NOW,
    value: {
      message_id: 'm1',
      source_agent: 'orchestrator',
      target_agent: 'reviewer',
      message_type: 'task',
      priority: 'normal',
      payload: '{}',
      trace_id: 'tr',
      span_id: 's',
      parent_message_id: null,
      reason: null,
      timestamp: NOW,
      ttl_seconds: null,
      attempt: 1,
      max_retries: 3,
      deadline: null,
      job_id: null,
      started_at: null,
      llm_usage: [],
      heartbeat: null,
    },
  };

  it('prints one line per record and filters by agent, trace and type', () => {
    expect(formatLiveEvent(message)).toBe(
      '2026-11-24T04:00:00.000Z TASK    orchestrator → reviewer id=m1 trace=tr',
    );
    expect(matchesWatch(message, { agent: 'reviewer' })).toBe(true);
    expect(matchesWatch(message, { agent: 'coder' })).toBe(false);
    expect(matchesWatch(message, { type: 'result' })).toBe(false);
    expect(matchesWatch(message, { type: 'errors' })).toBe(false);
    expect(matchesWatch(message, { trace: 'tr', type: 'task' })).toBe(true);
  });

  it('dates a record by the time it is stored under, whatever its sender wrote', () => {
    const skewed = { ...message, value: { ...message.value, timestamp: 1e19 } };
    expect(formatLiveEvent(skewed)).toMatch(/^2026-11-24T04:00:00.000Z TASK /);
  });
});

describe('usage errors exit 2', () => {
  const program = (): Command => {
    const root = new Command('agent-telemetry')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    const context = () => ({
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', component: 'test' }),
    });
    registerOpsCommands(root, { context, out: process.stdout, err: process.stderr });
    return root;
  };

  for (const argv of [
    ['errors', '--limit', '0'],
    ['errors', '--severity', 'fatal'],
    ['pending', '--stuck-after', 'soon'],
    ['trace'],
    ['diagnose', '--window', '90'],
    ['status', '--bogus'],
  ]) {
    it(`agent-telemetry ${argv.join(' ')}`, async () => {
      const error = await program()
        .parseAsync(['node', 'agent-telemetry', ...argv])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).toBe(ExitCode.USAGE);
    });
  }

  it('--help explains each command and its exit codes (exit 0)', async () => {
    let help = '';
    const root = program();
    root.configureOutput({
      writeOut: (s) => {
        help += s;
      },
      writeErr: () => undefined,
    });
    for (const sub of root.commands)
      sub.configureOutput({
        writeOut: (s) => {
          help += s;
        },
        writeErr: () => undefined,
      });
    const error = await root.parseAsync(['node', 'agent-telemetry', 'pending', '--help']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as CommanderError).exitCode).toBe(0);
    expect(help).toMatch(/--stuck-after <seconds>/);
    expect(help).toMatch(/Exit codes: 0 healthy/);
  });
});

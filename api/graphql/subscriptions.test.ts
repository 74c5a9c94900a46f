import { describe, expect, it } from 'vitest';
import { sampleError, sampleTask } from '../../schemas/test-support/fixtures.js';
import { testConfig, testLogger } from '../../lib/test-support/helpers.js';
import { LiveHub } from '../live-feed.js';
import { createApiMetrics } from '../metrics.js';
import { buildApi } from '../server.js';

/** GraphQL subscriptions over server-sent events, fed by the live hub. */
describe('GraphQL subscriptions', () => {
  it('streams the errors and queue messages that match the arguments', async () => {
    const hub = new LiveHub();
    const api = buildApi(testConfig(), {
      logger: testLogger(),
      reader: { query: () => Promise.resolve([]) },
      kafka: { groupLag: () => Promise.resolve(undefined), check: () => Promise.resolve() },
      feed: hub,
      checks: [],
      metrics: createApiMetrics({ processMetrics: false }),
    });
    const subscribe = async (query: string) => {
      const response = await api.fetch(
        new Request('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ query }),
        }),
      );
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const body = response.body;
      if (body === null) throw new Error('no body');
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      return {
        async next(): Promise<unknown> {
          for (;;) {
            const match = /event: next\ndata: (.*)\n\n/.exec(buffer);
            if (match?.[1] !== undefined) {
              buffer = buffer.slice(match.index + match[0].length);
              return (JSON.parse(match[1]) as { data: unknown }).data;
            }
            const chunk = await reader.read();
            if (chunk.done) throw new Error('stream ended');
            buffer += decoder.decode(chunk.value, { stream: true });
          }
        },
        cancel: () => reader.cancel(),
      };
    };
    const errors = await subscribe(
      'subscription { errorAdded(agents: ["coder"], severities: [critical]) { error_id agent_name severity } }',
    );
    const queue = await subscribe(
      'subscription { queueActivity(agents: ["coder"], message_types: [task]) { message_id source_agent target_agent payload } }',
    );
    // a subscription registers with the hub when its stream is first read
    const firstError = errors.next();
    const firstMessage = queue.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = (id: string, agent: string, severity: 'critical' | 'error') => ({
      kind: 'error' as const,
      topic: 'agent-telemetry-errors',
      partition: 0,
      offset: '1',
      timeMs: 1_796_000_000_000,
      value: sampleError({ error_id: id, agent_name: agent, severity }),
    });
    const task = (id: string, target: string, type: 'task' | 'result') => ({
      kind: 'message' as const,
      topic: `agent-queue-${target}`,
      partition: 0,
      offset: '1',
      timeMs: 1_796_000_000_000,
      value: sampleTask({ message_id: id, target_agent: target, message_type: type }),
    });
    hub.publish(error('e-writer', 'writer', 'critical'));
    hub.publish(error('e-minor', 'coder', 'error'));
    hub.publish(error('e-match', 'coder', 'critical'));
    hub.publish(task('m-result', 'coder', 'result'));
    hub.publish(task('m-other', 'writer', 'task'));
    hub.publish(task('m-match', 'coder', 'task'));
    expect(await firstError).toEqual({
      errorAdded: { error_id: 'e-match', agent_name: 'coder', severity: 'critical' },
    });
    expect(await firstMessage).toEqual({
      queueActivity: {
        message_id: 'm-match',
        source_agent: 'orchestrator',
        target_agent: 'coder',
        payload: { goal: 'summarize the incident', step: 1 },
      },
    });
    await errors.cancel();
    await queue.cancel();
  });
});

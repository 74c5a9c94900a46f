import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testLogger } from '../../lib/test-support/helpers.js';
import { AlertNotifier, httpSend, webhooksOf, type AlertStore } from './notifier.js';
import type { AlertIssue, AlertRecord } from './state.js';
import { startWebhookReceiver, type WebhookReceiver } from './test-support/webhook-receiver.js';

/**
 * The alert state machine against a real HTTP receiver: open, dedupe, resolve, restart, rate limit,
 * retry after a 5xx. The clock is the test's, so nothing here depends on timing.
 */
function issue(id: string, severity: AlertIssue['severity'] = 'critical'): AlertIssue {
  return {
    id,
    kind: id.split(':')[0] ?? id,
    severity,
    title: `${id} is broken`,
    description: `what is wrong with ${id} <here>`,
    affected_components: ['coder'],
    suggested_actions: ['add consumers'],
    related_trace_ids: ['abc'],
  };
}

/** The store as a map of versions, latest kept (what ClickHouse's ReplacingMergeTree does). */
function memoryStore(): AlertStore & { rows: Map<string, AlertRecord> } {
  const rows = new Map<string, AlertRecord>();
  return {
    rows,
    load: () => Promise.resolve([...rows.values()]),
    save(records) {
      for (const r of records) {
        const old = rows.get(r.issue_id);
        if (old === undefined || r.updated_at_ms >= old.updated_at_ms)
          rows.set(r.issue_id, structuredClone(r));
      }
      return Promise.resolve();
    },
  };
}

let receiver: WebhookReceiver;
let store: ReturnType<typeof memoryStore>;
let current: AlertIssue[];
let now: number;
let failDiagnosis: boolean;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
  store = memoryStore();
  current = [];
  now = 1_700_000_000_000;
  failDiagnosis = false;
});

function notifier(maxPerMinute = 20): AlertNotifier {
  return new AlertNotifier({
    store,
    issues: () => (failDiagnosis ? Promise.reject(new Error('ClickHouse down')) : Promise.resolve(current)),
    webhooks: webhooksOf({
      webhookUrls: [receiver.url('/json')],
      slackWebhookUrls: [receiver.url('/slack')],
    }),
    send: httpSend(5_000, testLogger()),
    logger: testLogger(),
    now: () => now,
    maxPerMinute,
    system: 'test-system',
  });
}

const events = (path: string): string[] =>
  receiver.received
    .filter((r) => r.path === path)
    .map((r) => {
      if (path === '/slack') return String(r.body.text);
      const alert = r.body.alert as { issue_id: string };
      return `${String(r.body.event)} ${alert.issue_id}`;
    });

describe('the alert notifier', () => {
  it('sends an issue once as it opens (JSON and Slack bodies), not again while it stays, and once as it resolves', async () => {
    const n = notifier();
    current = [issue('stuck_tasks:coder')];
    const first = await n.tick();
    expect(first.opened).toEqual(['stuck_tasks:coder']);
    expect(events('/json')).toEqual(['alert.opened stuck_tasks:coder']);
    const json = receiver.received.find((r) => r.path === '/json')?.body;
    expect(json).toMatchObject({
      system: 'test-system',
      alert: {
        state: 'open',
        severity: 'critical',
        title: 'stuck_tasks:coder is broken',
        affected_components: ['coder'],
      },
    });
    const slack = receiver.received.find((r) => r.path === '/slack')?.body as {
      text: string;
      blocks: { type: string; text?: { text: string } }[];
    };
    expect(slack.text).toBe(':red_circle: CRITICAL: stuck_tasks:coder is broken (test-system)');
    expect(slack.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    expect(slack.blocks[0]?.text?.text).toContain('&lt;here&gt;');

    now += 30_000;
    const same = await n.tick();
    expect(same.sent).toEqual([]);
    expect(receiver.received).toHaveLength(2);

    now += 30_000;
    current = [];
    const gone = await n.tick();
    expect(gone.resolved).toEqual(['stuck_tasks:coder']);
    expect(events('/json')).toEqual(['alert.opened stuck_tasks:coder', 'alert.resolved stuck_tasks:coder']);
    expect(events('/slack')[1]).toBe(
      ':white_check_mark: Resolved: stuck_tasks:coder is broken (test-system)',
    );
  });

  it('keeps its state across a restart: no repeat of an open alert, and the resolve still sent', async () => {
    current = [issue('dead_agent:writer')];
    await notifier().tick();
    expect(receiver.received).toHaveLength(2);
    const restarted = notifier();
    now += 30_000;
    expect((await restarted.tick()).sent).toEqual([]);
    now += 30_000;
    current = [];
    await restarted.tick();
    expect(events('/json')).toEqual(['alert.opened dead_agent:writer', 'alert.resolved dead_agent:writer']);
  });

  it('opens again an issue that comes back after resolving', async () => {
    const n = notifier();
    current = [issue('error_spike:coder')];
    await n.tick();
    now += 30_000;
    current = [];
    await n.tick();
    now += 30_000;
    current = [issue('error_spike:coder')];
    expect((await n.tick()).opened).toEqual(['error_spike:coder']);
    expect(events('/json')).toEqual([
      'alert.opened error_spike:coder',
      'alert.resolved error_spike:coder',
      'alert.opened error_spike:coder',
    ]);
  });

  it('holds notifications over the rate limit for a later evaluation, most severe first', async () => {
    const n = notifier(2);
    current = [issue('a:1', 'high'), issue('b:2', 'critical'), issue('c:3', 'high')];
    const first = await n.tick();
    expect(first.deferred).toBe(2);
    expect(events('/json')).toEqual(['alert.opened b:2', 'alert.opened a:1']);
    now += 30_000;
    expect((await n.tick()).sent).toEqual([]);
    now += 31_000;
    await n.tick();
    expect(events('/json')).toEqual(['alert.opened b:2', 'alert.opened a:1', 'alert.opened c:3']);
  });

  it('never tells a webhook that an alert it never heard of resolved', async () => {
    const n = notifier(1);
    current = [issue('a:1'), issue('b:2')];
    await n.tick();
    expect(events('/json')).toEqual(['alert.opened a:1']);
    now += 61_000;
    current = [issue('a:1')];
    await n.tick();
    expect(events('/json')).toEqual(['alert.opened a:1']);
    expect(store.rows.get('b:2')?.state).toBe('resolved');
  });

  it('retries after a receiver 5xx, with backoff, until it is accepted', async () => {
    const n = notifier();
    receiver.failNext('/json', 503, 502);
    current = [issue('consumer_lag:coder')];
    const first = await n.tick();
    expect(first.failed).toBe(1);
    expect(first.sent).toHaveLength(1);
    expect(store.rows.get('consumer_lag:coder')?.attempts).toBe(1);
    now += 500;
    expect((await n.tick()).failed).toBe(0);
    now += 1_000;
    expect((await n.tick()).failed).toBe(1);
    now += 1_500;
    expect((await n.tick()).failed).toBe(0);
    now += 1_000;
    const accepted = await n.tick();
    expect(accepted.sent).toEqual([expect.stringMatching(/^json:\w+ consumer_lag:coder open$/)]);
    expect(events('/json')).toEqual([
      'alert.opened consumer_lag:coder',
      'alert.opened consumer_lag:coder',
      'alert.opened consumer_lag:coder',
    ]);
    expect(events('/slack')).toHaveLength(1);
    expect(store.rows.get('consumer_lag:coder')?.attempts).toBe(0);
  });

  it('drops a notification a webhook refuses for good (4xx), and changes nothing when the diagnosis fails', async () => {
    const n = notifier();
    receiver.failNext('/json', 404);
    current = [issue('a:1')];
    expect((await n.tick()).dropped).toBe(1);
    now += 30_000;
    expect((await n.tick()).sent).toEqual([]);
    failDiagnosis = true;
    current = [];
    now += 30_000;
    await expect(n.tick()).rejects.toThrow(/ClickHouse down/);
    expect(store.rows.get('a:1')?.state).toBe('open');
  });
});

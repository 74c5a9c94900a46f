import { describe, expect, it } from 'vitest';
import { RecordKind } from '../schemas/codec.js';
import { parseBenchOptions } from './options.js';
import { benchAgents, sizing, WorkloadGenerator } from './workload.js';

describe('bench:ingest options', () => {
  it('defaults to the 1 KB mix and one process', () => {
    expect(parseBenchOptions([])).toMatchObject({
      messages: 200_000,
      payloadBytes: undefined,
      processors: 1,
    });
  });

  it('reads the payload size and the process count', () => {
    const options = parseBenchOptions(['--payload-bytes', '102_400', '--processors', '2', '--no-peer']);
    expect(options).toMatchObject({ payloadBytes: 102_400, processors: 2, peer: false });
  });

  it.each([
    [['--processors', '0'], /--processors must be an integer from 1 to 8, got "0"/],
    [['--payload-bytes', '1.5'], /--payload-bytes must be an integer/],
    [['--payloads', '3'], /Unknown option '--payloads'[\s\S]*usage:/],
  ])('refuses %j, naming the option', (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });
});

describe('the workload with large payloads', () => {
  it('gives every task and result a JSON payload of exactly the asked size, and leaves the rest alone', () => {
    const generator = new WorkloadGenerator(benchAgents('t'), 'p-', 7, sizing({ payloadBytes: 100_000 }));
    const kinds = new Map<string, number>();
    const payloads = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const item = generator.next(1_000 + i);
      if (item.kind !== RecordKind.AGENT_MESSAGE) continue;
      const { message_type: type, payload } = item.value;
      kinds.set(type, (kinds.get(type) ?? 0) + 1);
      if (type === 'task' || type === 'result') {
        expect(payload).toHaveLength(100_000);
        expect(typeof (JSON.parse(payload) as { body: unknown }).body).toBe('string');
        payloads.add(payload);
      } else {
        expect(payload.length).toBeLessThan(1_000);
      }
    }
    expect(kinds.get('task')).toBeGreaterThan(0);
    expect(kinds.get('result')).toBeGreaterThan(0);
    expect(payloads.size).toBe((kinds.get('task') ?? 0) + (kinds.get('result') ?? 0));
  });

  it('keeps the 1 KB mix when no size is asked', () => {
    const generator = new WorkloadGenerator(benchAgents('t'), 'p-', 7, sizing({ payloadBytes: undefined }));
    for (let i = 0; i < 100; i++) {
      const item = generator.next(i);
      if (item.kind === RecordKind.AGENT_MESSAGE) expect(item.value.payload.length).toBeLessThan(2_000);
    }
  });
});

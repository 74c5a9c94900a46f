import { describe, expect, it } from 'vitest';
import { AgentInputError } from '../errors/types.js';
import { OfflineProvider } from '../llm/offline.js';
import { createPriceTable } from '../llm/pricing.js';
import { extractJsonObject, parsePlan, resolveWorker, waves } from './planner.js';

const WORKERS = ['researcher-x1', 'writer-x1', 'coder-x1', 'reviewer-x1'];

describe('planner', () => {
  it('maps roles onto suffixed workers and orders independent steps in one wave', () => {
    const plan = parsePlan(
      JSON.stringify({
        steps: [
          { id: 'r', agent: 'researcher', instruction: 'find', depends_on: [] },
          { id: 'w', agent: 'writer', instruction: 'write', depends_on: ['r'] },
          { id: 'c', agent: 'coder-x1', instruction: 'code', depends_on: ['r'] },
          { id: 'v', agent: 'reviewer', instruction: 'review', depends_on: ['w', 'c'] },
        ],
      }),
      WORKERS,
    );
    expect(plan.map((s) => s.agent)).toEqual(WORKERS);
    expect(waves(plan).map((wave) => wave.map((s) => s.id))).toEqual([['r'], ['w', 'c'], ['v']]);
  });

  it('reads JSON wrapped in prose and code fences', () => {
    expect(extractJsonObject('Here is the plan:\n```json\n{"steps": []}\n```\nDone.')).toEqual({ steps: [] });
  });

  it.each([
    ['no JSON', 'I cannot plan this'],
    ['unknown worker', '{"steps":[{"id":"a","agent":"painter","instruction":"x"}]}'],
    [
      'duplicate ids',
      '{"steps":[{"id":"a","agent":"writer","instruction":"x"},{"id":"a","agent":"coder","instruction":"y"}]}',
    ],
    ['missing dependency', '{"steps":[{"id":"a","agent":"writer","instruction":"x","depends_on":["b"]}]}'],
    [
      'a cycle',
      '{"steps":[{"id":"a","agent":"writer","instruction":"x","depends_on":["b"]},{"id":"b","agent":"coder","instruction":"y","depends_on":["a"]}]}',
    ],
    ['no steps', '{"steps":[]}'],
  ])('rejects a plan with %s as a validation error', (_what, text) => {
    expect(() => parsePlan(text, WORKERS)).toThrow(AgentInputError);
  });

  it('resolves exact names before roles', () => {
    expect(resolveWorker('writer', ['writer-2', 'writer'])).toBe('writer');
    expect(resolveWorker('Writer', ['writer-2'])).toBe('writer-2');
    expect(resolveWorker('painter', ['writer'])).toBeUndefined();
  });

  it('accepts the offline model plan for the default team and for extra configured agents', async () => {
    const model = new OfflineProvider({ prices: createPriceTable(undefined), latencyMs: 0 });
    const answer = await model.complete({
      purpose: 'plan',
      messages: [
        {
          role: 'user',
          content: 'Goal: compare brokers\nWorkers: ["researcher","writer","coder","reviewer","translator"]',
        },
      ],
    });
    const plan = parsePlan(answer.text, [...WORKERS, 'translator']);
    expect(plan.map((s) => s.id)).toEqual(['research', 'write', 'code', 'translator', 'review']);
    expect(plan.find((s) => s.id === 'review')?.dependsOn).toEqual(['write', 'code', 'translator']);
  });
});

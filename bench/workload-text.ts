import type { ErrorCategory } from '../schemas/records.js';

/** Vocabulary of the bench workload: words for payloads, models, error kinds and stack frames. */

export const WORDS = (
  'incident latency regression cache shard replica timeout budget summary evidence customer region ' +
  'deploy rollback metric query index schema migration token prompt context outline draft review ' +
  'patch test coverage failure retry queue backlog partition consumer producer offset snapshot ' +
  'report finding risk owner deadline priority dependency service endpoint payload contract'
).split(' ');

export const MODELS: readonly (readonly [string, string])[] = [
  ['llama3.1:8b', 'ollama'],
  ['gpt-4o-mini', 'openai'],
  ['claude-3-5-haiku', 'anthropic'],
  ['mistral-small', 'mistral'],
];

export interface ErrorTemplate {
  type: string;
  category: ErrorCategory;
  operation: string;
  message: (n: number) => string;
  frames: readonly string[];
  code: string | null;
  http: number | null;
}

export const ERROR_TEMPLATES: readonly ErrorTemplate[] = [
  {
    type: 'RateLimitError',
    category: 'llm_error',
    operation: 'llm_call',
    message: (n) => `rate limit exceeded: ${n} tokens per minute requested, limit 200000`,
    frames: ['callModel (agents/llm/openai.ts:88:11)', 'withRetry (agents/llm/retry.ts:41:18)'],
    code: '429',
    http: 429,
  },
  {
    type: 'TimeoutError',
    category: 'timeout_error',
    operation: 'tool_call',
    message: (n) => `tool web_search did not answer within ${n}ms`,
    frames: ['runTool (agents/tools/runner.ts:133:9)', 'Timeout._onTimeout (agents/tools/deadline.ts:27:14)'],
    code: 'ETIMEDOUT',
    http: null,
  },
  {
    type: 'ValidationError',
    category: 'validation_error',
    operation: 'parse_output',
    message: (n) => `model output is not valid JSON at position ${n}: expected ',' or '}'`,
    frames: [
      'parseStructured (agents/output/json.ts:52:13)',
      'handleResult (agents/runtime/worker.ts:210:22)',
    ],
    code: null,
    http: null,
  },
  {
    type: 'HandoffError',
    category: 'handoff_error',
    operation: 'handoff',
    message: (n) => `no agent accepted the handoff after ${n} attempts`,
    frames: ['handoff (agents/runtime/router.ts:77:15)', 'dispatch (agents/runtime/orchestrator.ts:301:7)'],
    code: 'NO_ROUTE',
    http: null,
  },
  {
    type: 'ConnectionResetError',
    category: 'network_error',
    operation: 'http_request',
    message: (n) => `socket hang up after ${n} bytes from 10.0.3.${n % 250}:8443`,
    frames: ['TLSSocket.onClose (node:_http_client:470:23)', 'fetchJson (agents/tools/http.ts:64:11)'],
    code: 'ECONNRESET',
    http: 502,
  },
];

export const COMMON_FRAMES = [
  'process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  'async Worker.handle (agents/runtime/worker.ts:188:20)',
  'async Consumer.eachMessage (agents/runtime/queue.ts:96:9)',
  'async Runner.processEachMessage (node_modules/kafkajs/src/consumer/runner.js:231:9)',
  'async Runner.processEachBatch (node_modules/kafkajs/src/consumer/runner.js:318:13)',
  'async onBatch (node_modules/kafkajs/src/consumer/runner.js:447:9)',
  'async Promise.all (index 0)',
  'async Runner.fetch (node_modules/kafkajs/src/consumer/runner.js:441:5)',
  'async Runner.scheduleFetchManager (node_modules/kafkajs/src/consumer/runner.js:148:9)',
  'async AgentHost.start (agents/runtime/host.ts:59:3)',
];

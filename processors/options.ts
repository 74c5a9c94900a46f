import type { Config } from '../lib/config.js';
import type { RunnerOptions } from './runner.js';

/** Retry timing of the runner: backoff from 250 ms to 5 s. */
export const RUNNER_TIMING = {
  retry: { initialMs: 250, maxMs: 5_000 },
} as const;

/** The runner options that come from the configuration, shared by the processors and the replay. */
export function runnerSettings(
  config: Config,
): Pick<
  RunnerOptions,
  | 'groupId'
  | 'queueTopicPattern'
  | 'batchSize'
  | 'flushIntervalMs'
  | 'maxBufferedMessages'
  | 'maxBufferedBytes'
  | 'maxStoresInFlight'
  | 'maxPollBatch'
  | 'consumerCacheMs'
  | 'metadataRefreshMs'
  | 'poison'
  | 'retry'
  | 'revokeFlushTimeoutMs'
> {
  const p = config.processors;
  return {
    groupId: p.groupId,
    queueTopicPattern: p.queueTopicPattern,
    batchSize: p.batchSize,
    flushIntervalMs: p.flushIntervalMs,
    maxBufferedMessages: p.maxBufferedMessages,
    maxBufferedBytes: p.maxBufferedBytes,
    maxStoresInFlight: p.maxStoresInFlight,
    maxPollBatch: p.maxPollBatch,
    consumerCacheMs: p.consumerCacheMs,
    metadataRefreshMs: p.metadataRefreshMs,
    poison: p.poison,
    retry: RUNNER_TIMING.retry,
    revokeFlushTimeoutMs: p.revokeTimeoutMs,
  };
}

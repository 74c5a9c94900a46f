import type { Config } from '../lib/config.js';
import type { RunnerOptions } from './runner.js';

/** Retry timing of the runner: backoff from 250 ms to 5 s. */
export const RUNNER_TIMING = {
  retry: { initialMs: 250, maxMs: 5_000 },
} as const;

/** The processors' configuration that the runner takes as options: all of it but the probe port. */
type RunnerPart = Omit<Config['processors'], 'httpPort'>;

/**
 * The runner options that come from the configuration, shared by the processors and the replay. The
 * processors' slice (`lib/config/processors.ts`) names its output after the runner's options, so
 * it is passed on as it is, plus the retry timing; the return type checks that every field is a
 * runner option of the same type.
 */
export function runnerSettings(config: Config): Pick<RunnerOptions, keyof RunnerPart | 'retry'> {
  const { httpPort, ...runner } = config.processors;
  return { ...runner, retry: RUNNER_TIMING.retry };
}

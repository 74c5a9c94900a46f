import { z } from 'zod';
import { defineSlice, positiveInt } from './slice.js';

/**
 * Cancel, retry and dead-letter replay through the API. Requesting them is this slice; whether they
 * are on also needs the API's `API_AUTH_TOKEN`, a rule across slices that {@link gateActions} states
 * and the loader applies.
 */
export const actionsSlice = defineSlice({
  name: 'actions',
  title: 'Actions',
  summary: 'Read by `agent-telemetry api`; see docs/actions.md.',
  variables: {
    API_ACTIONS: z
      .enum(['on', 'off'])
      .default('off')
      .describe(
        '`on` (with `API_AUTH_TOKEN`) allows cancel, retry and dead-letter replay; the API then also connects as `CLICKHOUSE_USER` to write `action_log`',
      ),
    API_ACTIONS_DLQ_SCAN_MS: positiveInt(15_000, 600_000).describe(
      'how long a dead-letter replay may read `agent-telemetry-dlq` looking for its letters',
    ),
  },
  build: (e) => ({ requested: e.API_ACTIONS === 'on', dlqScanMs: e.API_ACTIONS_DLQ_SCAN_MS }),
});

/**
 * Actions are on only when requested and the API has a token: they are never open to anyone who
 * reaches the port. `refusal` says why they are off, for the 403 and the start-up log.
 */
export function gateActions(actions: z.output<typeof actionsSlice.schema>, authToken: string | undefined) {
  const refusal: string | undefined = !actions.requested
    ? 'actions are off: the API starts with API_ACTIONS=on and API_AUTH_TOKEN set to allow cancel, retry and dead-letter replay'
    : authToken === undefined
      ? 'actions are off: API_ACTIONS=on needs API_AUTH_TOKEN as well (actions are never open to anyone who reaches the port)'
      : undefined;
  return { ...actions, enabled: refusal === undefined, refusal };
}

export type ActionsConfig = ReturnType<typeof gateActions>;

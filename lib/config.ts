/**
 * The configuration: parsed once, at the edge, from an environment passed in as a parameter.
 *
 * Each option is stated once, in its component's slice under `lib/config/`: environment variable,
 * validation, default and meaning (see `lib/config/slice.ts`). The slices live in `lib/`, beside
 * this loader, because one loader parses them all (every problem of every slice is reported at
 * once) and `lib/` may import no component; a component reads its part of {@link Config}, whose
 * type is derived from the slices. The reference page `docs/reference/configuration.md` is
 * generated from the same slices.
 */
import { z } from 'zod';
import { actionsSlice, gateActions } from './config/actions.js';
import { agentsSlice } from './config/agents.js';
import { alertsSlice } from './config/alerts.js';
import { apiSlice } from './config/api.js';
import { commonSlice } from './config/common.js';
import { diagnosisSlice } from './config/diagnosis.js';
import { llmSlice } from './config/llm.js';
import { oracleSlice } from './config/oracle.js';
import { processorsSlice } from './config/processors.js';
import { isSecretVariable, type ConfigSlice } from './config/slice.js';
import { ErrorCode, TelemetryError } from './errors.js';

export { ALERT_SEVERITIES } from './config/alerts.js';
export { DEFAULT_AGENTS } from './config/common.js';
export { SERVICE_ACCOUNT_DIR } from './config/oracle.js';
export { isSecretVariable } from './config/slice.js';

/** The environment as a plain record; pass `process.env` from a composition root, a literal in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Every slice, in the order the reference lists them. */
export const CONFIG_SLICES = [
  commonSlice,
  processorsSlice,
  apiSlice,
  actionsSlice,
  alertsSlice,
  diagnosisSlice,
  oracleSlice,
  llmSlice,
  agentsSlice,
] as const satisfies readonly ConfigSlice[];

/** The slices side by side, each parsing the same environment; then the rules across slices. */
const ConfigSchema = z
  .object({
    common: commonSlice.schema,
    processors: processorsSlice.schema,
    api: apiSlice.schema,
    actions: actionsSlice.schema,
    alerts: alertsSlice.schema,
    diagnosis: diagnosisSlice.schema,
    oracle: oracleSlice.schema,
    llm: llmSlice.schema,
    agents: agentsSlice.schema,
  } satisfies Record<(typeof CONFIG_SLICES)[number]['name'], z.ZodType>)
  .transform((s) => ({
    ...s.common,
    ...s.processors,
    api: { ...s.api, actions: gateActions(s.actions, s.api.authToken) },
    alerts: s.alerts,
    ...s.diagnosis,
    oracle: s.oracle,
    llm: s.llm,
    ...s.agents,
  }));

export type Config = z.output<typeof ConfigSchema>;

/** The credentials of a configuration, for the logger to redact wherever they appear. */
export function configSecrets(config: Config): string[] {
  return [
    config.api.authToken,
    config.api.metricsToken,
    config.api.clickhousePassword,
    config.clickhouse.password,
    config.llm.apiKey,
  ].filter((value): value is string => value !== undefined && value.length >= 4);
}

/** Names of every environment variable `loadConfig` reads (checked against the manifests by test). */
export const CONFIG_VARIABLES: readonly string[] = CONFIG_SLICES.flatMap((slice) =>
  Object.keys(slice.variables),
);

/**
 * Parses the configuration once, at the edge. Throws a `CONFIG_INVALID` error that lists every
 * problem, one per line, each naming its variable.
 */
export function loadConfig(env: Environment): Config {
  const valueOf = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const input = Object.fromEntries(
    CONFIG_SLICES.map((slice) => [
      slice.name,
      Object.fromEntries(Object.keys(slice.variables).map((name) => [name, valueOf(name)])),
    ]),
  );
  const parsed = ConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = String(issue.path[1] ?? '(environment)');
    const value = env[variable] ?? '';
    const shown = isSecretVariable(variable)
      ? `[redacted, ${value.length} characters]`
      : JSON.stringify(value);
    return `  ${variable}=${shown}: ${issue.message}`;
  });
  throw new TelemetryError(
    ErrorCode.CONFIG_INVALID,
    `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
  );
}

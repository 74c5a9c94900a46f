import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SERVICE_ACCOUNT_DIR, type Config } from '../../lib/config.js';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';
import { sharedDiagnosisFor } from '../diagnosis/module.js';
import { parseArgs } from '../graphql/args.js';
import { loadSdl } from '../graphql/compose.js';
import { boolParam, enumParamWithDefault, intParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiModuleFactory } from '../module.js';
import { createKubernetesClient, type KubernetesClient } from './kubernetes.js';
import { oracleSchema } from './schema.js';
import { buildOracleState, type OracleSettings, type OracleState } from './state.js';
import { createOracleValidator, type ValidationResult } from './validate.js';

/** The oracle settings of a configuration. */
export function oracleSettings(config: Config): OracleSettings {
  return {
    systemId: config.oracle.systemId,
    discoveryMode: config.oracle.discoveryMode,
    activityWindowMinutes: config.oracle.activityWindowMinutes,
    maxTasksPerQueue: config.oracle.maxTasksPerQueue,
    llmLimits: config.llmLimits,
  };
}

/** The namespace to read: configured, else the pod's own (service-account mount), else `default`. */
function namespaceOf(configured: string | undefined): string {
  if (configured !== undefined) return configured;
  try {
    return readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** The Kubernetes client when running in a cluster (or pointed at an API server), else undefined. */
export function kubernetesFor(config: Config): KubernetesClient | undefined {
  const k = config.oracle.kubernetes;
  if (k === undefined) return undefined;
  return createKubernetesClient({ ...k, namespace: namespaceOf(k.namespace) });
}

const ValidationSchema = z.object({
  valid: z.boolean(),
  error_count: z.number().int(),
  errors: z.array(
    z.object({ path: z.string(), message: z.string(), validator: z.string(), validator_value: z.unknown() }),
  ),
});

/** One line per fact, for logs and terminals. */
export function stateAsLog(state: OracleState): string {
  const lines = [`oracle ${state.id} at ${state.generated_at}`];
  for (const a of state.agents) {
    const running = a.activity.active_task_ids.filter((t) => t.status === 'running').length;
    lines.push(
      `agent ${a.name} deployment=${a.deployment_name || '-'} models=${a.models.join('|') || '-'} active=${a.activity.active_task_ids.length} running=${running} updated_at=${a.activity.updated_at}`,
    );
  }
  for (const w of state.workload) {
    lines.push(
      `workload ${w.deployment_name} active_pods=${w.live.active_pods}/${w.max_pods} pods=${w.pods.map((p) => `${p.pod_id}:${p.status}:cpu=${p.cpu ?? '-'}m:mem=${p.memory ?? '-'}MiB`).join(',')}`,
    );
  }
  for (const q of state.queues) {
    const oldest = q.tasks[0];
    lines.push(
      `queue ${q.name} pending=${q.tasks.length}${oldest === undefined ? '' : ` oldest=${oldest.id} waiting_since_mins=${oldest.priority.waiting_since_mins}`}`,
    );
  }
  for (const m of state.litellm)
    lines.push(
      `llm ${m.provider}/${m.model} tpm=${m.tpm}/${m.tpm_max ?? '-'} rpm=${m.rpm}/${m.rpm_max ?? '-'}`,
    );
  return lines.join('\n');
}

export function stateSummary(state: OracleState) {
  return {
    format: 'summary' as const,
    id: state.id,
    generated_at: state.generated_at,
    agents: state.agents.length,
    deployments: state.workload.length,
    active_pods: state.workload.reduce((sum, w) => sum + w.live.active_pods, 0),
    pending_tasks: state.queues.reduce((sum, q) => sum + q.tasks.length, 0),
    running_tasks: state.agents.reduce(
      (sum, a) => sum + a.activity.active_task_ids.filter((t) => t.status === 'running').length,
      0,
    ),
    models: state.litellm.length,
  };
}

/**
 * `/api/v1/oracle/*` and GraphQL `oracleState`, `validateOracle`: the system state from measured
 * data, its strict JSON Schema, and its validation. In strict mode (ORACLE_STRICT_SCHEMA, or
 * `strict=true`) a state that fails the schema is a server fault (500, the violations logged),
 * never served.
 */
export const oracleModule: ApiModuleFactory = (context) => {
  const settings = oracleSettings(context.config);
  const kubernetes = kubernetesFor(context.config);
  const strictValidator = createOracleValidator(true);
  const lenientValidator = createOracleValidator(false);
  const validatorFor = (strict: boolean) => (strict ? strictValidator : lenientValidator);
  const defaultStrict = context.config.oracle.strictSchema;

  const state = () =>
    buildOracleState({ reader: context.reader, kafka: context.kafka, kubernetes }, settings, context.now());
  const checked = async (strict: boolean): Promise<OracleState> => {
    const current = await state();
    if (strict) {
      const result = strictValidator.validate(current);
      if (!result.valid) {
        context.logger.error({ errors: result.errors.slice(0, 20) }, 'oracle state fails its strict schema');
        throw new TelemetryError(
          ErrorCode.INTERNAL,
          `oracle state fails its schema: ${result.errors[0]?.path ?? ''} ${result.errors[0]?.message ?? ''}`,
        );
      }
    }
    return current;
  };
  const validate = async (strict: boolean): Promise<ValidationResult> =>
    validatorFor(strict).validate(await state());
  const strictQuery = { strict: boolParam(defaultStrict) };

  return {
    name: 'oracle',
    rest: [
      defineRoute({
        path: '/api/v1/oracle/state',
        summary: 'The system state: agents, workload, queues and LLM usage, measured only',
        description:
          'format=json (default) is the state; format=log one line per fact; format=summary counts. Agents are discovered by ORACLE_DISCOVERY_MODE. ' +
          'Unlike the old service nothing is made up: CPU and memory come from metrics.k8s.io (null without it), limits from LLM_LIMITS (null when not configured).',
        query: { format: enumParamWithDefault(['json', 'log', 'summary'], 'json'), ...strictQuery },
        response: z.union([
          z.record(z.string(), z.unknown()),
          z.object({ format: z.literal('log'), content: z.string() }),
        ]),
        handler: async ({ query }) => {
          const current = await checked(query.strict);
          if (query.format === 'log') return { format: 'log', content: stateAsLog(current) };
          if (query.format === 'summary') return stateSummary(current);
          return current;
        },
      }),
      defineRoute({
        path: '/api/v1/oracle/schema',
        summary:
          'The JSON Schema (draft-07) of the oracle state; strict=false gives the lenient form that allows unknown keys',
        query: strictQuery,
        response: z.record(z.string(), z.unknown()),
        handler: ({ query }) => Promise.resolve(oracleSchema(query.strict)),
      }),
      defineRoute({
        path: '/api/v1/oracle/validate',
        summary: 'Validates the current state against the schema (ajv with formats)',
        query: strictQuery,
        response: ValidationSchema,
        handler: ({ query }) => validate(query.strict),
      }),
      defineRoute({
        path: '/api/v1/oracle/agents',
        summary: 'The agents of the state',
        response: z.object({ agents: z.array(z.record(z.string(), z.unknown())) }),
        handler: async () => ({ agents: (await checked(defaultStrict)).agents }),
      }),
      defineRoute({
        path: '/api/v1/oracle/workload',
        summary: 'The Kubernetes workload of the agents (empty outside a cluster)',
        response: z.object({ workload: z.array(z.record(z.string(), z.unknown())) }),
        handler: async () => ({ workload: (await checked(defaultStrict)).workload }),
      }),
      defineRoute({
        path: '/api/v1/oracle/llm',
        summary: 'Observed LLM usage against configured limits',
        response: z.object({ litellm: z.array(z.record(z.string(), z.unknown())) }),
        handler: async () => ({ litellm: (await checked(defaultStrict)).litellm }),
      }),
      defineRoute({
        path: '/api/v1/oracle/issues',
        summary: 'The ranked issues of the diagnosis over the window',
        query: { time_window_minutes: intParam(15, 1, 60) },
        response: z.object({
          system_status: z.string(),
          health_score: z.number(),
          issues: z.array(z.record(z.string(), z.unknown())),
        }),
        handler: async ({ query }) => {
          const report = await sharedDiagnosisFor(context, query.time_window_minutes);
          return {
            system_status: report.metadata.system_status,
            health_score: report.health_score,
            issues: report.issues.items,
          };
        },
      }),
    ],
    typeDefs: loadSdl(new URL('./oracle.graphql', import.meta.url)),
    resolvers: {
      Query: {
        oracleState: (_parent, args) => checked(parseArgs(strictQuery, args).strict),
        validateOracle: (_parent, args) => validate(parseArgs(strictQuery, args).strict),
      },
    },
  };
};

import { z } from 'zod';
import { defineSlice, flag, positiveInt } from './slice.js';

/** Where Kubernetes mounts the pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The oracle state: how the system's agents are discovered, and the Kubernetes API it may read. */
export const oracleSlice = defineSlice({
  name: 'oracle',
  title: 'Oracle state',
  summary: 'Read where the oracle state is assembled (api/oracle): the API and the MCP server.',
  variables: {
    ORACLE_DISCOVERY_MODE: z
      .enum(['auto', 'labeled', 'all', 'telemetry'])
      .default('auto')
      .describe('`auto`, `labeled`, `all` or `telemetry`'),
    ORACLE_STRICT_SCHEMA: flag('true').describe('refuse to serve a state that fails its strict schema'),
    ORACLE_SYSTEM_ID: z.string().min(1).default('agent-telemetry').describe('`id` of the oracle state'),
    ORACLE_ACTIVITY_WINDOW_MINUTES: positiveInt(60, 10_080).describe(
      'how far back agents and models count as seen',
    ),
    ORACLE_MAX_TASKS_PER_QUEUE: positiveInt(100, 10_000).describe('pending tasks listed per queue'),
    KUBERNETES_SERVICE_HOST: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'the Kubernetes API server, in a pod', unset: 'set by Kubernetes in a pod' }),
    KUBERNETES_SERVICE_PORT: z.coerce
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(443)
      .describe("the Kubernetes API server's port, in a pod"),
    ORACLE_KUBERNETES_API_URL: z
      .url()
      .optional()
      .describe(
        'the Kubernetes API server elsewhere (a `kubectl proxy`, a test server); overrides the above',
      ),
    ORACLE_KUBERNETES_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')
      .optional()
      .meta({
        description: 'namespace whose Deployments and Pods are read',
        unset: "the pod's namespace, else `default`",
      }),
    ORACLE_KUBERNETES_TOKEN_FILE: z
      .string()
      .min(1)
      .default(`${SERVICE_ACCOUNT_DIR}/token`)
      .describe("bearer token of the Kubernetes API server (the service-account mount's)"),
    ORACLE_KUBERNETES_CA_FILE: z
      .string()
      .min(1)
      .default(`${SERVICE_ACCOUNT_DIR}/ca.crt`)
      .describe("CA of the Kubernetes API server (the service-account mount's)"),
    ORACLE_KUBERNETES_TIMEOUT_MS: positiveInt(5_000, 120_000).describe(
      'per request to the Kubernetes API server',
    ),
  },
  build: (e) => ({
    discoveryMode: e.ORACLE_DISCOVERY_MODE,
    strictSchema: e.ORACLE_STRICT_SCHEMA === 'true',
    systemId: e.ORACLE_SYSTEM_ID,
    activityWindowMinutes: e.ORACLE_ACTIVITY_WINDOW_MINUTES,
    maxTasksPerQueue: e.ORACLE_MAX_TASKS_PER_QUEUE,
    /** Set when running in a cluster (KUBERNETES_SERVICE_HOST) or when ORACLE_KUBERNETES_API_URL is given. */
    kubernetes:
      e.ORACLE_KUBERNETES_API_URL === undefined && e.KUBERNETES_SERVICE_HOST === undefined
        ? undefined
        : {
            apiUrl:
              e.ORACLE_KUBERNETES_API_URL ??
              inClusterUrl(e.KUBERNETES_SERVICE_HOST ?? '', e.KUBERNETES_SERVICE_PORT),
            namespace: e.ORACLE_KUBERNETES_NAMESPACE,
            tokenFile: e.ORACLE_KUBERNETES_TOKEN_FILE,
            caFile: e.ORACLE_KUBERNETES_CA_FILE,
            timeoutMs: e.ORACLE_KUBERNETES_TIMEOUT_MS,
          },
  }),
});

/** The API server's URL from the in-cluster host and port (an IPv6 host in brackets). */
function inClusterUrl(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export type OracleConfig = z.output<typeof oracleSlice.schema>;

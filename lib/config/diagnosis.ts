import { z } from 'zod';
import { defineSlice, positiveInt } from './slice.js';

const PRIORITY_NAMES = ['critical', 'high', 'normal', 'low'] as const;

/** `critical=60,high=120,normal=300,low=900`: seconds per priority; every priority must be given. */
function parseStuckThresholds(
  value: string,
  ctx: z.RefinementCtx,
): Record<(typeof PRIORITY_NAMES)[number], number> {
  const entries = new Map(
    value.split(',').map((part) => {
      const [name = '', seconds = ''] = part.split('=').map((x) => x.trim());
      return [name, /^\d+$/.test(seconds) ? Number(seconds) : NaN] as const;
    }),
  );
  const out = { critical: 0, high: 0, normal: 0, low: 0 };
  for (const name of PRIORITY_NAMES) {
    const seconds = entries.get(name);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${PRIORITY_NAMES.map((p) => `${p}=<seconds>`).join(',')}`,
      });
      return out;
    }
    out[name] = seconds;
  }
  return out;
}

const LlmLimitShape = z.strictObject({
  model: z.string().min(1),
  provider: z.string().default(''),
  tpm_max: z.number().int().min(0),
  rpm_max: z.number().int().min(0),
});

/** A JSON array of `{model, provider?, tpm_max, rpm_max}`; provider absent or '' matches any provider. */
function parseLlmLimits(value: string, ctx: z.RefinementCtx): z.output<typeof LlmLimitShape>[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a JSON array of {model, provider, tpm_max, rpm_max}' });
    return [];
  }
  const parsed = z.array(LlmLimitShape).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({
      code: 'custom',
      message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    });
    return [];
  }
  return parsed.data;
}

/**
 * The detectors' thresholds and the configured LLM limits. `api/diagnosis` derives its settings'
 * types from this slice's output instead of restating them.
 */
export const diagnosisSlice = defineSlice({
  name: 'diagnosis',
  title: 'Diagnosis',
  summary: 'Read wherever the system is diagnosed: the API, `mcp`, `diagnose` and `alerts`.',
  variables: {
    DIAGNOSIS_STUCK_AFTER_S: z
      .string()
      .default('critical=60,high=120,normal=300,low=900')
      .transform((value, ctx) => parseStuckThresholds(value, ctx))
      .describe('seconds after which a pending task is stuck, per priority (every priority given)'),
    DIAGNOSIS_HEARTBEAT_TIMEOUT_S: positiveInt(30, 86_400).describe(
      'an agent without a heartbeat this long is down',
    ),
    DIAGNOSIS_BASELINE_WINDOWS: positiveInt(4, 96).describe(
      'length of the baseline before the diagnosis window, in windows',
    ),
    DIAGNOSIS_SPIKE_FACTOR: z.coerce
      .number()
      .min(1)
      .max(1_000)
      .default(3)
      .describe('an error spike is this many times the baseline rate'),
    DIAGNOSIS_SPIKE_MIN_ERRORS: positiveInt(5, 1_000_000).describe(
      'errors in the window an error spike needs at least',
    ),
    DIAGNOSIS_CASCADE_MIN_AGENTS: z.coerce
      .number()
      .int()
      .min(2)
      .max(100)
      .default(2)
      .describe('agents with errors in one trace that make a cascading failure'),
    DIAGNOSIS_RETRY_STORM_MIN_ATTEMPTS: z.coerce
      .number()
      .int()
      .min(2)
      .max(1_000_000)
      .default(5)
      .describe('attempts of one task or error group that make a retry storm'),
    DIAGNOSIS_SLOW_FACTOR: z.coerce
      .number()
      .min(1)
      .max(1_000)
      .default(3)
      .describe("a slow agent's p95 latency is this many times its baseline"),
    DIAGNOSIS_SLOW_MIN_MS: positiveInt(2_000, 86_400_000).describe(
      "a slow agent's p95 latency is at least this long",
    ),
    DIAGNOSIS_TIMEOUT_MIN_COUNT: positiveInt(3, 1_000_000).describe(
      'timeouts in the window that make an issue',
    ),
    LLM_LIMITS: z
      .string()
      .default('[]')
      .transform((value, ctx) => parseLlmLimits(value, ctx))
      .describe('JSON array of `{"model","provider","tpm_max","rpm_max"}` (provider absent or empty: any)'),
    LLM_LIMIT_WARN_RATIO: z.coerce
      .number()
      .gt(0)
      .max(1)
      .default(0.9)
      .describe('share of a configured TPM/RPM limit at which usage is reported'),
  },
  build: (e) => ({
    diagnosis: {
      stuckAfterS: e.DIAGNOSIS_STUCK_AFTER_S,
      heartbeatTimeoutS: e.DIAGNOSIS_HEARTBEAT_TIMEOUT_S,
      baselineWindows: e.DIAGNOSIS_BASELINE_WINDOWS,
      spikeFactor: e.DIAGNOSIS_SPIKE_FACTOR,
      spikeMinErrors: e.DIAGNOSIS_SPIKE_MIN_ERRORS,
      cascadeMinAgents: e.DIAGNOSIS_CASCADE_MIN_AGENTS,
      retryStormMinAttempts: e.DIAGNOSIS_RETRY_STORM_MIN_ATTEMPTS,
      slowFactor: e.DIAGNOSIS_SLOW_FACTOR,
      slowMinMs: e.DIAGNOSIS_SLOW_MIN_MS,
      timeoutMinCount: e.DIAGNOSIS_TIMEOUT_MIN_COUNT,
      llmUtilizationWarn: e.LLM_LIMIT_WARN_RATIO,
    },
    llmLimits: e.LLM_LIMITS,
  }),
});

export type DiagnosisConfig = z.output<typeof diagnosisSlice.schema>;

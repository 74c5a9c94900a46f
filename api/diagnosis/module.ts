import type { Config } from '../../lib/config.js';
import { parseArgs } from '../graphql/args.js';
import { loadSdl } from '../graphql/compose.js';
import { boolParam, enumParamWithDefault, intParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiContext, ApiModuleFactory } from '../module.js';
import { cacheKey, ReadCache } from '../read-models/cache.js';
import { diagnose, type DiagnosisReport, type DiagnosisSettings } from './diagnose.js';
import { claudeErrors } from './errors-report.js';
import { toPrompt, toSummary } from './format.js';
import { diagnosisKinds, DiagnosisKindsSchema, kindsParam, withKinds } from './kinds.js';
import { ClaudeErrorsSchema, DiagnosisResponseSchema } from './schemas.js';

/** The diagnosis settings of a configuration. */
export function diagnosisSettings(config: Config): DiagnosisSettings {
  const { baselineWindows, ...thresholds } = config.diagnosis;
  return {
    thresholds,
    llmLimits: config.llmLimits,
    baselineWindows,
    agents: config.agents,
    processorsGroupId: config.processors.groupId,
  };
}

const diagnoseQuery = {
  time_window_minutes: intParam(15, 1, 60),
  format: enumParamWithDefault(['json', 'prompt', 'summary'], 'json'),
  max_tokens: intParam(2_000, 100, 32_000),
  kind: kindsParam.describe(
    'only issues of these kinds, comma-separated (GET /api/v1/claude/diagnose/kinds lists them); all when absent',
  ),
};

const errorsQuery = {
  limit: intParam(10, 1, 50),
  include_suggestions: boolParam(true),
  include_raw_errors: boolParam(false),
  time_window_minutes: intParam(0, 0, 10_080),
};

/** Runs the diagnosis for the API (one place for REST, GraphQL and the oracle's issues). */
export function diagnoseFor(context: ApiContext, minutes: number): Promise<DiagnosisReport> {
  return diagnose(
    { reader: context.reader, kafka: context.kafka, logger: context.logger },
    diagnosisSettings(context.config),
    {
      minutes,
      nowMs: context.now(),
    },
  );
}

const sharedReports = new WeakMap<ApiContext, ReadCache>();

/**
 * The diagnosis the API's callers share: a whole-system view that costs the same for every caller
 * (about thirty window queries), so callers within `API_CACHE_TTL_MS` (or twice the time the last
 * diagnosis took, when that is longer) get the same report, and concurrent callers wait for one
 * computation instead of each starting their own (see `ReadCache`). `metadata.generated_at` says
 * when it was computed. The alerts process calls {@link diagnoseFor} directly: every evaluation is
 * a fresh one.
 */
export function sharedDiagnosisFor(context: ApiContext, minutes: number): Promise<DiagnosisReport> {
  let cache = sharedReports.get(context);
  if (cache === undefined) {
    // one entry per window length (1 to 60 minutes); a report is reused for five times the time it
    // took, not ten: how soon a new fault shows depends on it. On a million messages and errors a
    // report takes 2.4 s of ClickHouse CPU, so refreshing it back to back would take a core; on a
    // store whose reports take under 200 ms this changes nothing (the TTL, 1 s, is longer)
    cache = new ReadCache({ ttlMs: context.config.api.cacheTtlMs, maxEntries: 60, loadTimeFactor: 5 });
    sharedReports.set(context, cache);
  }
  return cache.get(cacheKey('diagnose', minutes), () => diagnoseFor(context, minutes));
}

/**
 * `/api/v1/claude/diagnose`, `/api/v1/claude/errors` and GraphQL `diagnose(window)`: ranked issues
 * with evidence and fixes, over the time window the caller asks for.
 */
export const diagnosisModule: ApiModuleFactory = (context) => ({
  name: 'diagnosis',
  rest: [
    defineRoute({
      path: '/api/v1/claude/diagnose',
      summary:
        'Diagnosis of the last time_window_minutes: ranked issues, evidence, fixes, status and health score',
      description:
        'format=json (default) gives the whole bundle; format=summary the short form; format=prompt a text bundle for an LLM within max_tokens ' +
        '(about 4 characters a token; the evidence of the lowest-ranked issues is dropped first). Unlike the old service, the window is honoured ' +
        '(the window is compared with a baseline of DIAGNOSIS_BASELINE_WINDOWS windows before it). kind=a,b keeps the issues of those kinds ' +
        '(GET /api/v1/claude/diagnose/kinds lists them); status, health score and counts stay system-wide. Callers within API_CACHE_TTL_MS ' +
        '(or twice the time the last diagnosis took) share one report; metadata.generated_at says when it was computed.',
      query: diagnoseQuery,
      response: DiagnosisResponseSchema,
      handler: async ({ query }) => {
        const report = withKinds(await sharedDiagnosisFor(context, query.time_window_minutes), query.kind);
        if (query.format === 'summary') return toSummary(report);
        if (query.format === 'prompt') return toPrompt(report, query.max_tokens);
        return report;
      },
    }),
    defineRoute({
      path: '/api/v1/claude/diagnose/kinds',
      summary:
        'The issue kinds the diagnosis reports: when each is found, whether it names a cause, what to do',
      query: {},
      response: DiagnosisKindsSchema,
      handler: () => Promise.resolve({ kinds: diagnosisKinds() }),
    }),
    defineRoute({
      path: '/api/v1/claude/errors',
      summary:
        'Error groups, busiest first, with real first and last seen and suggestions matching their category',
      description:
        'time_window_minutes (0 = all time, the default) restricts to groups seen in the last minutes. Suggestions come from the stored category ' +
        "and HTTP status, followed by the reporting agent's own suggested fixes.",
      query: errorsQuery,
      response: ClaudeErrorsSchema,
      handler: ({ query }) =>
        claudeErrors(context.reader, context.readModels, {
          limit: query.limit,
          includeSuggestions: query.include_suggestions,
          includeRawErrors: query.include_raw_errors,
          windowMinutes: query.time_window_minutes === 0 ? undefined : query.time_window_minutes,
          nowMs: context.now(),
        }),
    }),
  ],
  typeDefs: loadSdl(new URL('./diagnosis.graphql', import.meta.url)),
  resolvers: {
    Query: {
      diagnosisKinds: () => diagnosisKinds(),
      diagnose: async (_parent, args) => {
        // the list goes through the REST parameter's schema, as its comma-separated form
        const list = Array.isArray(args.kinds) ? (args.kinds as string[]).join(',') : undefined;
        const { window, kinds } = parseArgs(
          { window: intParam(15, 1, 60), kinds: kindsParam },
          { window: args.window, kinds: list },
        );
        const report = withKinds(await sharedDiagnosisFor(context, window), kinds);
        return {
          generated_at: report.metadata.generated_at,
          time_window_minutes: report.metadata.time_window_minutes,
          system_status: report.metadata.system_status,
          health_score: report.health_score,
          system_summary: report.system_summary,
          issue_counts: report.issues.counts,
          issues: report.issues.items,
          error_rate: report.errors.error_rate,
          any_rate_limited: report.rate_limits.any_rate_limited,
          suggested_actions: report.suggested_actions,
          data_gaps: report.metadata.data_gaps,
          report,
        };
      },
    },
    Diagnosis: {
      prompt: (parent, args) => {
        const { max_tokens } = parseArgs({ max_tokens: intParam(2_000, 100, 32_000) }, args);
        return toPrompt((parent as { report: DiagnosisReport }).report, max_tokens).content;
      },
    },
  },
});

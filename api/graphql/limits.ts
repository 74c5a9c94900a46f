import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLError, ValidationContext } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Config } from '../../lib/config.js';
import type { LiveBudget } from '../http/live-budget.js';

/** The error of a document over a limit: names the limit, its value and the variable that sets it. */
function limitError(armorError: GraphQLError, variable: string): GraphQLError {
  return createGraphQLError(`${armorError.message.replace(/^Syntax Error: /, '')} (${variable})`, {
    extensions: { code: 'QUERY_LIMIT', limit: variable, http: { status: 400 } },
  });
}

/** Reports the limit's own error in place of graphql-armor's (validation rules have a context). */
function reportAs(variable: string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError): void => {
        const own = limitError(error, variable);
        if (context === null) throw own;
        context.reportError(own);
      },
    ],
  };
}

/**
 * Limits on a GraphQL document, checked before anything runs (graphql-armor's envelop plugins:
 * maintained, dependency-free beyond graphql, and running on Node 18+). Tokens are counted while
 * parsing, so a megabyte of aliases is refused before it is even a tree; then depth, aliases
 * (thousands of aliased `traces(limit: 500)` would start thousands of scans in one request) and a
 * structural cost (objects 2, scalars 1, times 1.5 per level). Introspection is exempt from depth
 * and cost (GraphiQL's own query is deep); a refusal names the limit and its variable (a 400 for
 * `application/graphql-response+json` clients, a 200 with the error for plain JSON ones, as GraphQL
 * over HTTP has it for a document that fails validation).
 */
export function useQueryLimits(limits: Config['api']['graphql']): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...reportAs('API_GRAPHQL_MAX_TOKENS') }),
    maxDepthPlugin({ n: limits.maxDepth, ...reportAs('API_GRAPHQL_MAX_DEPTH') }),
    maxAliasesPlugin({ n: limits.maxAliases, ...reportAs('API_GRAPHQL_MAX_ALIASES') }),
    costLimitPlugin({ maxCost: limits.maxCost, ...reportAs('API_GRAPHQL_MAX_COST') }),
  ] as Plugin[];
}

/**
 * Every GraphQL subscription holds a slot of the live budget while it streams, as a WebSocket or
 * an event stream does; with none left it is refused (503 in `extensions.http`) before it starts.
 */
export function useSubscriptionBudget(budget: LiveBudget): Plugin {
  return {
    onSubscribe({ setResultAndStopExecution }) {
      const release = budget.acquire();
      if (release === undefined) {
        setResultAndStopExecution({
          errors: [
            createGraphQLError(`too many live streams (API_WS_MAX_CLIENTS=${budget.max}), retry later`, {
              extensions: { code: 'TOO_MANY_STREAMS', limit: 'API_WS_MAX_CLIENTS', http: { status: 503 } },
            }),
          ],
        });
        return undefined;
      }
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            release();
            return undefined;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  };
}

/**
 * A result no processor can send in a media type the client accepts (a subscription asked for
 * with `Accept: application/json`) is a 406 that says why, instead of yoga's empty one.
 */
export function useNotAcceptableDetail(): Plugin {
  return {
    onResultProcess(payload) {
      if (payload.resultProcessor !== undefined) return;
      const wanted = payload.acceptableMediaTypes.join(', ');
      payload.setResultProcessor(
        () =>
          Response.json(
            {
              errors: [
                {
                  message: `no answer in a media type the request accepts: send Accept: ${wanted} (subscriptions stream as text/event-stream)`,
                  extensions: { code: 'NOT_ACCEPTABLE' },
                },
              ],
            },
            { status: 406 },
          ),
        'application/json',
      );
    },
  };
}

import { readFileSync } from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import { createGraphQLError, createSchema } from 'graphql-yoga';
import type { Logger } from '../../lib/logger.js';
import { ErrorCode, isUnavailable, TelemetryError } from '../../lib/errors.js';
import { HttpError } from '../http/http-error.js';
import type { ApiModule, FieldResolver, SubscriptionResolver } from '../module.js';

/** Reads an SDL file that sits beside the module (the build copies `*.graphql` into dist). */
export function loadSdl(url: URL): string {
  return readFileSync(url, 'utf8');
}

/**
 * Route decisions keep their meaning in GraphQL: a bad argument is BAD_USER_INPUT naming it, a
 * refused write FORBIDDEN (actions off), an unknown id NOT_FOUND, a dependency that is down or too slow SERVICE_UNAVAILABLE (the REST 503).
 * Anything else is a server fault: logged here with its cause, then masked by yoga ("Unexpected
 * error.").
 */
function toGraphQLError(error: unknown, logger: Logger, field: string): unknown {
  if (error instanceof HttpError) {
    return createGraphQLError(error.message, {
      extensions: {
        code:
          error.status === 400
            ? 'BAD_USER_INPUT'
            : error.status === 403
              ? 'FORBIDDEN'
              : error.status === 404
                ? 'NOT_FOUND'
                : 'ERROR',
        ...(error.parameter === undefined ? {} : { argument: error.parameter }),
        http: { status: error.status },
      },
    });
  }
  if (error instanceof TelemetryError && error.code === ErrorCode.ABANDONED) {
    logger.debug({ err: error, field }, 'request abandoned by its caller');
    return createGraphQLError('the client closed the request', {
      extensions: { code: 'ABANDONED', http: { status: 499 } },
    });
  }
  if (isUnavailable(error)) {
    logger.warn({ err: error, field, code: error.code }, 'dependency unavailable');
    return createGraphQLError('a dependency is unavailable, retry later', {
      extensions: { code: 'SERVICE_UNAVAILABLE', dependency: error.code, http: { status: 503 } },
    });
  }
  logger.error({ err: error, field }, 'resolver failed');
  return error;
}

function wrap(resolver: FieldResolver, logger: Logger, field: string): FieldResolver {
  return async (parent, args, context, info) => {
    try {
      return await resolver(parent, args, context, info);
    } catch (error) {
      throw toGraphQLError(error, logger, field);
    }
  };
}

function isSubscription(value: FieldResolver | SubscriptionResolver): value is SubscriptionResolver {
  return typeof value === 'object';
}

type Wrapped = Record<string, Record<string, FieldResolver | SubscriptionResolver>>;

/**
 * One executable schema from every module's SDL and resolvers (graphql-tools underneath, which
 * refuses a resolver for a field the SDL does not declare). The schema is built by yoga's own
 * `graphql` instance, so that it is the one yoga executes with.
 */
export function composeSchema(modules: readonly ApiModule[], logger: Logger): GraphQLSchema {
  const typeDefs = modules.map((m) => m.typeDefs).filter((text): text is string => text !== undefined);
  const resolvers: Wrapped = {};
  for (const module of modules) {
    for (const [typeName, fields] of Object.entries(module.resolvers ?? {})) {
      const target = (resolvers[typeName] ??= {});
      for (const [fieldName, resolver] of Object.entries(fields)) {
        const name = `${typeName}.${fieldName}`;
        if (target[fieldName] !== undefined)
          throw new Error(`module ${module.name}: ${name} is resolved twice`);
        if (isSubscription(resolver)) {
          const subscribe = resolver.subscribe;
          target[fieldName] = {
            subscribe: (parent, args, context, info) => {
              try {
                return subscribe(parent, args, context, info);
              } catch (error) {
                throw toGraphQLError(error, logger, name);
              }
            },
            resolve:
              resolver.resolve === undefined
                ? (payload: unknown) => payload
                : wrap(resolver.resolve, logger, name),
          };
        } else {
          target[fieldName] = wrap(resolver, logger, name);
        }
      }
    }
  }
  return createSchema({ typeDefs, resolvers });
}

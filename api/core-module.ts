import { coreResolvers } from './graphql/core-resolvers.js';
import { loadSdl } from './graphql/compose.js';
import type { ApiModuleFactory } from './module.js';
import { errorRoutes } from './rest/error-routes.js';
import { queueRoutes } from './rest/queue-routes.js';
import { traceRoutes } from './rest/trace-routes.js';

/** Queues, tasks, errors, traces and agents: REST routes and the core GraphQL schema. */
export const coreModule: ApiModuleFactory = (context) => ({
  name: 'core',
  rest: [...queueRoutes(context), ...errorRoutes(context), ...traceRoutes(context)],
  typeDefs: loadSdl(new URL('./graphql/core.graphql', import.meta.url)),
  resolvers: coreResolvers(context),
});

import type { GraphQLResolveInfo } from 'graphql';
import type { z } from 'zod';
import type { ClickHouseReader } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { ActionsService } from './actions/service.js';
import type { ParamShape } from './http/params.js';
import type { KafkaView } from './kafka-view.js';
import type { LiveFeed } from './live-feed.js';
import type { ReadModels } from './read-models/index.js';

/**
 * The extension point of the API (see api/README.md). A module contributes REST routes, GraphQL
 * SDL and resolvers; `buildApi` composes every module listed in `api/modules.ts`.
 */
export interface ApiModule {
  /** Unique name, used in logs and in the OpenAPI tags. */
  name: string;
  rest?: readonly RestRoute[];
  /** SDL text; extend the root types with `extend type Query { … }`. */
  typeDefs?: string;
  resolvers?: ResolverMap;
}

/** What a module is built from: everything is created once per `buildApi` call, nothing at import. */
export interface ApiContext {
  config: Config;
  logger: Logger;
  /** ClickHouse as the API's read-only user. */
  reader: ClickHouseReader;
  /** Kafka admin views (offsets, groups) for live lag. */
  kafka: KafkaView;
  /** The read models shared by GraphQL and REST. */
  readModels: ReadModels;
  /** Live queue messages and errors tapped from Kafka (for subscriptions). */
  feed: LiveFeed;
  /** The clock; injected so tests can pin it. Epoch milliseconds. */
  now: () => number;
  /**
   * The API itself, in process (auth and limits apply as to any caller): for modules that answer
   * through other modules' routes, such as the MCP server. Call it only after `buildApi` returned.
   */
  fetch: (request: Request) => Promise<Response>;
  /**
   * Cancel, retry and dead-letter replay; `undefined` unless API_ACTIONS=on with API_AUTH_TOKEN (the
   * action routes then answer 403 with `config.api.actions.refusal`).
   */
  actions: ActionsService | undefined;
}

export type ApiModuleFactory = (context: ApiContext) => ApiModule;

/** A resolver receives the raw arguments; validate them with `parseArgs` (api/graphql/args.ts). */
export type FieldResolver = (
  parent: unknown,
  args: Readonly<Record<string, unknown>>,
  context: unknown,
  info: GraphQLResolveInfo,
) => unknown;

export interface SubscriptionResolver {
  subscribe: (
    parent: unknown,
    args: Readonly<Record<string, unknown>>,
    context: unknown,
    info: GraphQLResolveInfo,
  ) => AsyncIterable<unknown>;
  resolve?: FieldResolver;
}

/** Type name → field name → resolver (as graphql-tools' resolver maps, without scalars). */
export type ResolverMap = Readonly<
  Record<string, Readonly<Record<string, FieldResolver | SubscriptionResolver>>>
>;

export const HttpMethod = { GET: 'GET', POST: 'POST' } as const;
export type HttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];

/** What a route handler receives; `path` and `query` are already validated. */
export interface RestRequest<P extends ParamShape, Q extends ParamShape> {
  path: { [K in keyof P]: z.output<P[K]> };
  query: { [K in keyof Q]: z.output<Q[K]> };
  url: URL;
  request: Request;
}

/** The untyped request the router hands to a route. */
export interface RawRestRequest {
  url: URL;
  request: Request;
  pathParams: Readonly<Record<string, string>>;
}

/** A REST route, as built by `defineRoute` (api/http/route.ts). */
export interface RestRoute {
  method: HttpMethod;
  /** Path template with `{name}` segments, as in OpenAPI: `/api/v1/queues/{agent}`. */
  path: string;
  summary: string;
  description?: string;
  pathParams: ParamShape;
  query: ParamShape;
  /** Schema of the 200 body: documents the route in OpenAPI and is checked by the contract tests. */
  response: z.ZodType;
  /** Resolves to a JSON body (answered 200) or a complete Response; throws HttpError for 4xx. */
  handle: (request: RawRestRequest) => Promise<unknown>;
}

import type { Logger } from '../../lib/logger.js';
import type { RestRoute } from '../module.js';
import { errorResponse, HttpError, jsonResponse } from './http-error.js';
import { isResponse } from './fetch-api.js';

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

export interface RestRouter {
  routes: readonly RestRoute[];
  /** Answers a request whose path this router owns; `undefined` when no route's path matches. */
  handle(request: Request, url: URL): Promise<Response | undefined>;
}

function compile(route: RestRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{([a-z_][a-z0-9_]*)\}$/i.exec(segment);
      if (param?.[1] === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

/**
 * A small router over path templates. Fixed segments win over parameters (`/errors/summary` before
 * `/errors/{error_id}`), a path that exists with another method answers 405, and every failure goes
 * through `errorResponse` (4xx as decided, 5xx with the cause logged).
 */
export function createRestRouter(
  routes: readonly RestRoute[],
  logger: Logger,
  onAnswered: (route: string, method: string, status: number, seconds: number) => void = () => undefined,
): RestRouter {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) throw new Error(`two routes for ${key}`);
    seen.add(key);
  }
  // fewer parameters first, so literal segments take precedence
  const compiled = routes.map(compile).sort((a, b) => a.names.length - b.names.length);
  return {
    routes,
    async handle(request, url) {
      const matches = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) }))
        .filter((m): m is { entry: CompiledRoute; match: RegExpExecArray } => m.match !== null);
      if (matches.length === 0) return undefined;
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const hit = matches.find((m) => m.entry.route.method === method);
      if (hit === undefined) {
        const allow = [...new Set(matches.map((m) => m.entry.route.method))].join(', ');
        return jsonResponse({ detail: `method ${request.method} not allowed` }, 405, { allow });
      }
      const started = performance.now();
      const answered = (response: Response): Response => {
        onAnswered(
          hit.entry.route.path,
          request.method,
          response.status,
          (performance.now() - started) / 1000,
        );
        return response;
      };
      const pathParams: Record<string, string> = {};
      let badEncoding: string | undefined;
      hit.entry.names.forEach((name, index) => {
        const raw = hit.match[index + 1] ?? '';
        try {
          pathParams[name] = decodeURIComponent(raw);
        } catch {
          badEncoding ??= name;
        }
      });
      try {
        if (badEncoding !== undefined) {
          throw new HttpError(400, `${badEncoding}: malformed percent-encoding`, { parameter: badEncoding });
        }
        const body = await hit.entry.route.handle({ url, request, pathParams });
        return answered(isResponse(body) ? body : jsonResponse(body));
      } catch (error) {
        return answered(
          errorResponse(error, logger, { route: hit.entry.route.path, method: request.method }),
        );
      }
    },
  };
}

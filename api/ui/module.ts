import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Response } from '../http/fetch-api.js';
import { HttpError, notFound } from '../http/http-error.js';
import { intParam } from '../http/params.js';
import { defineRoute } from '../http/route.js';
import type { ApiModule, ApiModuleFactory } from '../module.js';
import { agentActivity } from './activity.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';

/** The files the build writes next to this module (`npm run build`: esbuild → dist/api/ui/static/). */
const ASSET_TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.css.map': 'application/json; charset=utf-8',
};

export interface UiModuleOptions {
  /** Folder holding the built assets (app.js, app.css). */
  assetsDir: URL;
}

interface Asset {
  body: Buffer;
  etag: string;
}

const SeriesSchema = z.object({
  agent_name: z.string(),
  received: z.array(z.number().int()),
  sent: z.array(z.number().int()),
  errors: z.array(z.number().int()),
});

function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** 304 when the browser already holds this version, else the body; always revalidated. */
function conditional(request: Request, body: Buffer | string, etag: string, headers: Record<string, string>) {
  const common = { etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...headers };
  if (request.headers.get('if-none-match') === etag)
    return new Response(null, { status: 304, headers: common });
  return new Response(
    request.method === 'HEAD' ? null : new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)),
    {
      status: 200,
      headers: common,
    },
  );
}

/**
 * The dashboard: the page at `/ui/`, its built script and style, and the per-minute activity of
 * every agent it charts. The page and its assets hold no data and answer without a token (the page
 * asks for one); the data routes it calls are guarded like every other route.
 */
export function createUiModule(options: UiModuleOptions): ApiModuleFactory {
  return (context): ApiModule => {
    // assets are immutable for the life of the process: read once, then served from memory
    // (a bounded set: only the names in ASSET_TYPES)
    const cache = new Map<string, Promise<Asset | undefined>>();
    const load = (name: string): Promise<Asset | undefined> => {
      let entry = cache.get(name);
      if (entry === undefined) {
        entry = readFile(new URL(name, options.assetsDir)).then(
          (body) => ({ body, etag: etagOf(body) }),
          (error: unknown) => {
            cache.delete(name);
            if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
            throw error;
          },
        );
        cache.set(name, entry);
      }
      return entry;
    };
    const pageEtag = etagOf(PAGE_HTML);
    return {
      name: 'ui',
      rest: [
        defineRoute({
          path: '/ui',
          summary: 'The dashboard page (HTML); /ui redirects to /ui/ so that its relative links resolve',
          response: z.string(),
          handler: ({ url, request }) => {
            if (!url.pathname.endsWith('/')) {
              return Promise.resolve(new Response(null, { status: 308, headers: { location: 'ui/' } }));
            }
            return Promise.resolve(
              conditional(request, PAGE_HTML, pageEtag, {
                'content-type': 'text/html; charset=utf-8',
                'content-security-policy': PAGE_CSP,
                'referrer-policy': 'no-referrer',
                'x-frame-options': 'DENY',
              }),
            );
          },
        }),
        defineRoute({
          path: '/ui/{asset}',
          summary: "The dashboard's script and style sheet",
          pathParams: { asset: z.string().describe('app.js, app.css, or their source maps (.map)') },
          response: z.string(),
          handler: async ({ path, request }) => {
            const type = Object.hasOwn(ASSET_TYPES, path.asset) ? ASSET_TYPES[path.asset] : undefined;
            if (type === undefined) throw notFound(`dashboard asset ${path.asset}`);
            const asset = await load(path.asset);
            if (asset === undefined) {
              throw new HttpError(404, `${path.asset} is not built: run npm run build`);
            }
            return conditional(request, asset.body, asset.etag, { 'content-type': type });
          },
        }),
        defineRoute({
          path: '/api/v1/agents/activity',
          summary: 'Messages received and sent and errors reported per minute per agent, zeros included',
          query: { window_minutes: intParam(30, 1, 1_440) },
          response: z.object({
            window_minutes: z.number().int(),
            minutes: z.array(z.string()),
            agents: z.array(SeriesSchema),
          }),
          handler: ({ query }) => agentActivity(context.reader, query.window_minutes, context.now()),
        }),
      ],
    };
  };
}

/** The dashboard as registered in api/modules.ts, serving the assets the build put beside it. */
export const uiModule: ApiModuleFactory = createUiModule({
  assetsDir: new URL('./static/', import.meta.url),
});

/**
 * `Response` of the HTTP server adapter's own Fetch API (@whatwg-node/fetch, the one graphql-yoga's
 * server is built on), for the responses the API builds itself (REST answers, the dashboard's
 * files, metrics). The adapter writes such a response's string or byte body to the socket at once;
 * a response of Node's built-in `Response` it can only read through the body's web ReadableStream,
 * chunk by chunk, which costs more than building the answer did: 9.5 against 5.8 ms of API CPU for
 * a 65 KB queue view, 0.53 against 0.37 ms for a small cached one (docs/performance.md).
 * Streaming responses (the SSE feed) are streams either way.
 */
import { Response as AdapterResponse } from '@whatwg-node/fetch';

export { AdapterResponse as Response };

/** Whether a route's answer is a response already (of either Fetch API) rather than a body to encode. */
export function isResponse(value: unknown): value is Response {
  return value instanceof AdapterResponse || value instanceof globalThis.Response;
}

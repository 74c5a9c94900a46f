/**
 * The dashboard's HTML shell. Every reference is relative to `/ui/` (the page redirects there), so
 * the page works behind a proxy that mounts the API under a prefix, on any host.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>agent-telemetry</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="app.css" />
  </head>
  <body>
    <noscript>The agent-telemetry dashboard needs JavaScript.</noscript>
    <div id="app"></div>
    <script type="module" src="app.js"></script>
  </body>
</html>
`;

/**
 * The page loads only its own script and style, and talks only to its own origin (fetch and the
 * WebSocket): nothing from elsewhere can run in a page that holds a bearer token.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

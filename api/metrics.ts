import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The API's Prometheus metrics, in a registry of its own (no global state). */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route' | 'method'>;
  wsClients: Gauge;
  wsDisconnects: Counter<'reason'>;
  liveEvents: Counter<'kind'>;
  livePaused: Gauge;
}

export function createApiMetrics(options: { processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'agent_telemetry_api_requests_total',
      help: 'HTTP requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'agent_telemetry_api_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsClients: new Gauge({
      name: 'agent_telemetry_api_ws_clients',
      help: 'WebSocket clients connected to /ws/debug',
      registers: [registry],
    }),
    wsDisconnects: new Counter({
      name: 'agent_telemetry_api_ws_disconnects_total',
      help: 'WebSocket clients disconnected by the server, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    liveEvents: new Counter({
      name: 'agent_telemetry_api_live_events_total',
      help: 'Records tapped from Kafka for the live feed, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    livePaused: new Gauge({
      name: 'agent_telemetry_api_live_tap_paused',
      help: 'Whether the live tap has paused its partitions because no one listens (1) or reads them (0)',
      registers: [registry],
    }),
  };
}

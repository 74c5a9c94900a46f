import type { LiveEvent } from '../api/live-feed.js';
import { Lifecycle } from '../lib/lifecycle.js';
import type { OpsDeps } from './commands-ops.js';
import { ExitCode, exitIfUnavailable, formatLiveEvent } from './ops-format.js';

/**
 * `agent-telemetry watch`: the live feed at a terminal, from a Kafka tap of its own (the API's
 * tap, with a consumer group of this process, from the latest offsets), filtered as asked.
 */
export interface WatchFlags {
  json?: boolean;
  agent?: string;
  trace?: string;
  type?: string;
  count?: number;
}

/** Whether a live record passes the `watch` filters. */
export function matchesWatch(event: LiveEvent, flags: Omit<WatchFlags, 'json' | 'count'>): boolean {
  if (event.kind === 'error') {
    const e = event.value;
    return (
      (flags.type === undefined || flags.type === 'errors') &&
      (flags.agent === undefined || e.agent_name === flags.agent) &&
      (flags.trace === undefined || e.trace_id === flags.trace)
    );
  }
  const m = event.value;
  return (
    (flags.type === undefined || m.message_type === flags.type) &&
    (flags.agent === undefined || m.source_agent === flags.agent || m.target_agent === flags.agent) &&
    (flags.trace === undefined || m.trace_id === flags.trace)
  );
}

export async function watch(deps: OpsDeps, flags: WatchFlags): Promise<void> {
  const { config, logger } = deps.context();
  const lifecycle = new Lifecycle({ logger, deadlineMs: config.shutdownDeadlineMs });
  lifecycle.installSignalHandlers();
  const [
    { createKafka },
    { createCodec, createSchemaRegistry },
    { LiveHub },
    { createKafkaTap },
    { createApiMetrics },
    { liveMessage, liveError },
  ] = await Promise.all([
    import('../lib/kafka.js'),
    import('../lib/registry.js'),
    import('../api/live-feed.js'),
    import('../api/ws/kafka-tap.js'),
    import('../api/metrics.js'),
    import('../api/read-models/shapes.js'),
  ]);
  const hub = new LiveHub();
  let printed = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  hub.subscribe((event) => {
    if (!matchesWatch(event, flags) || (flags.count !== undefined && printed >= flags.count)) return;
    printed += 1;
    const line =
      flags.json === true
        ? JSON.stringify(
            event.kind === 'error'
              ? { kind: 'error', ...liveError(event) }
              : { kind: 'message', ...liveMessage(event) },
          )
        : formatLiveEvent(event);
    deps.out.write(`${line}\n`);
    if (flags.count !== undefined && printed >= flags.count) finish();
  });
  const tap = createKafkaTap({
    config,
    kafka: createKafka(config, logger, 'watch'),
    codec: createCodec(config, createSchemaRegistry(config)),
    hub,
    logger,
    metrics: createApiMetrics({ processMetrics: false }),
  });
  lifecycle.add('live-tap', () => tap.stop());
  try {
    await tap.start();
    await tap.assigned();
    deps.err.write(
      `watching the agent queues and the errors topic${flags.count === undefined ? ' (Ctrl-C to stop)' : ''}\n`,
    );
    await done;
    process.exitCode = ExitCode.OK;
  } catch (error) {
    exitIfUnavailable(error, deps.err);
  } finally {
    await lifecycle.shutdown('done');
  }
}

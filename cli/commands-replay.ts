import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { replay } from '../processors/replay.js';

/** `agent-telemetry replay`: a progress bar on a terminal, a line per 10 % elsewhere. */
export async function runReplay(
  config: Config,
  logger: Logger,
  flags: { database?: string; switch?: boolean },
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
): Promise<number> {
  const bar = err.isTTY
    ? new SingleBar(
        {
          format: 'replay [{bar}] {percentage}% | {value}/{total} messages | {eta_formatted} left',
          stream: err,
        },
        Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastDecile = -1;
  const result = await replay({
    config,
    logger,
    switchover: flags.switch === true,
    ...(flags.database === undefined ? {} : { targetDatabase: flags.database }),
    onProgress: (done, total) => {
      if (bar !== undefined) {
        if (!started) bar.start(total, done);
        else bar.update(done);
      } else {
        const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (decile !== lastDecile) err.write(`replay: ${done}/${total} messages (${decile * 10}%)\n`);
        lastDecile = decile;
      }
      started = true;
    },
  }).finally(() => bar?.stop());
  out.write(
    `replayed ${result.messages} messages into ${result.database} in ${result.seconds.toFixed(1)} s\n` +
      (result.backupDatabase === undefined
        ? `the live tables are unchanged; query the rebuilt ones in ${result.database}, or rerun with --switch\n`
        : `switched: ${config.clickhouse.database} now holds the rebuilt tables; the previous ones are in ${result.backupDatabase}\n`),
  );
  return 0;
}

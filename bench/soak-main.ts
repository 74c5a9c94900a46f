import { parseArgs } from 'node:util';
import { say } from './report.js';
import { recordBenchRun } from './results.js';
import { beginBenchRun } from './run-lock.js';
import { runSoak, SOAK_FAULTS, type SoakFault } from './soak.js';

/**
 * `npm run soak`: the processors' fault suite at its default size (see bench/soak.ts). Prints each
 * check and ends with `RESULT produced=N lost=N duplicated=N dead_lettered=N max_rss_mb=N`; exits 1
 * when a view does not match what was produced.
 *
 * Options: --rate (msg/s, 500) --seconds (240) --faults (kill,clickhouse,broker,scale)
 * --clickhouse-outage (s, 60) --clickhouse-service (clickhouse; chdb for the current engine)
 */
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '240' },
    faults: { type: 'string', default: SOAK_FAULTS.join(',') },
    'clickhouse-outage': { type: 'string', default: '60' },
    'clickhouse-service': { type: 'string', default: 'clickhouse' },
  },
});
const faults = values.faults.split(',').filter((f) => f !== '');
const unknown = faults.filter((f) => !(SOAK_FAULTS as readonly string[]).includes(f));
if (unknown.length > 0) {
  process.stderr.write(`soak: unknown fault ${unknown.join(', ')} (one of ${SOAK_FAULTS.join(', ')})\n`);
  process.exit(2);
}

const recording = recordBenchRun('soak', process.argv.slice(2), process.env);
recording.setOptions(values);
const { config, logger } = await beginBenchRun();
const result = await runSoak(config, logger, {
  rate: Number(values.rate),
  seconds: Number(values.seconds),
  faults: faults as SoakFault[],
  clickhouseOutageSeconds: Number(values['clickhouse-outage']),
  clickhouseService: values['clickhouse-service'],
  poisonEvery: 1_000,
  settleSeconds: 180,
  cli: new URL('../cli/main.js', import.meta.url),
});
for (const check of result.checks) say(`  ${check}`);
say(
  `RESULT produced=${result.produced} lost=${result.lost} duplicated=${result.duplicated} ` +
    `dead_lettered=${result.deadLettered} max_rss_mb=${result.maxRssMb}`,
);
recording.finish(result.ok ? 0 : 1);
process.exit(result.ok ? 0 : 1);

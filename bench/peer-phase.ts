import { setTimeout as sleep } from 'node:timers/promises';
import { childFailure, spawnBenchChild } from './child.js';
import { consumerEnv, measureStored, nodeFlags, settle, type Run, type Throughput } from './phase.js';
import { say } from './report.js';
import type { Expected } from './visibility.js';

/**
 * The peer's run: `peer-kafkajs` in a child process with its own group and database, timed from its
 * `ready` line until every message of the workload is queryable; then stopped (it prints its own
 * time split when it stops).
 */
export async function peerPhase(run: Run, prefix: string, expected: Expected): Promise<Throughput> {
  const { env, options, signal } = run;
  await settle(run);
  let ready: (atMs: number) => void = () => undefined;
  const readyAt = new Promise<number>((resolve) => (ready = resolve));
  let stats = '';
  const child = spawnBenchChild({
    name: 'peer-kafkajs',
    script: new URL('./peer-kafkajs.js', import.meta.url),
    args: ['--topics', env.queueTopics.join(',')],
    env: consumerEnv(env.peer, {}, 'peer'),
    nodeFlags: nodeFlags(options),
    onStdoutLine: (line) => {
      if (line.includes('"event":"ready"')) ready(Date.now());
      else if (line.includes('"event":"stats"')) stats = line;
    },
  });
  run.children.push(child);
  const startedAtMs = await Promise.race([
    readyAt,
    child.exited.then(() => Promise.reject(childFailure(child, 'exited before it was ready'))),
    sleep(60_000, undefined, { signal }).then(() =>
      Promise.reject(childFailure(child, 'not ready after 60 s')),
    ),
  ]);
  const result = await measureStored({
    run,
    label: 'peer',
    child,
    target: env.peer,
    prefix,
    expected,
    startedAtMs,
  });
  await child.stop();
  if (stats !== '') say(`  peer time split: ${stats}`);
  return result;
}

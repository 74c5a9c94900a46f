import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../lib/config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { benchToken } from './bench-env.js';
import { say } from './report.js';

/**
 * One ingest benchmark at a time per machine. Two runs side by side share the CPU and read each
 * other's topics (the processors subscribe to every agent queue), so each would measure the other
 * too. A second run waits for the first; a lock left by a process that no longer exists is taken.
 */

const LOCK_PATH = join(tmpdir(), 'agent-telemetry-bench-ingest.lock');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

function tryTake(): number | undefined {
  try {
    const fd = openSync(LOCK_PATH, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return undefined;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  }
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(LOCK_PATH, 'utf8').trim());
  } catch {
    // removed meanwhile: try again
  }
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return holder;
  try {
    unlinkSync(LOCK_PATH);
  } catch {
    // someone else took it over first
  }
  return tryTake();
}

/** Waits until this process holds the lock; the returned function releases it (idempotent). */
export async function acquireRunLock(
  signal: AbortSignal,
  report: (line: string) => void,
): Promise<() => void> {
  let lastReportMs = 0;
  for (;;) {
    const holder = tryTake();
    if (holder === undefined) break;
    if (Date.now() - lastReportMs >= 30_000) {
      lastReportMs = Date.now();
      report(`waiting for the ingest benchmark run by pid ${holder} to finish (${LOCK_PATH})`);
    }
    await sleep(1_000, undefined, { signal });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      if (readFileSync(LOCK_PATH, 'utf8').trim() === String(process.pid)) unlinkSync(LOCK_PATH);
    } catch {
      // already gone
    }
  };
}

/**
 * The start of a benchmark run, its composition root: the configuration read once from the
 * environment, a logger, SIGINT/SIGTERM turned into an abort (a second one exits at once), the run
 * lock taken (released on exit), and the run's token.
 */
export async function beginBenchRun(): Promise<{
  config: Config;
  logger: Logger;
  abort: AbortController;
  token: string;
}> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', component: 'bench', destination: process.stderr });
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const releaseLock = await acquireRunLock(abort.signal, say);
  process.once('exit', releaseLock);
  return { config, logger, abort, token: benchToken() };
}

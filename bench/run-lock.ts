import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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
